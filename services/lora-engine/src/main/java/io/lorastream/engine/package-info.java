/**
 * The LoRA engine: a frozen base (a BERT, RoBERTa or DistilBERT encoder, or a Llama, Qwen2 or Mistral decoder) and per-tenant
 * LoRA adapters, in plain Java on DJL's PyTorch engine. No Quarkus, no knowledge of the services that use it.
 *
 * <ul>
 *   <li>{@link io.lorastream.engine.BaseModel}: the frozen base, loaded once from the embedded
 *       all-MiniLM-L6-v2 ONNX (weights read straight from the protobuf) or from a Hugging Face
 *       directory (config.json chooses the {@link io.lorastream.engine.Family}; safetensors f32/f16/bf16, one file
 *       or sharded); identified by id + sha256 of its weights.</li>
 *   <li>{@link io.lorastream.engine.Backbone}: the forward pass, top to bottom with shapes —
 *       {@link io.lorastream.engine.BertEncoder} or {@link io.lorastream.engine.LlamaDecoder}; every linear goes
 *       through {@link io.lorastream.engine.Projections}, where LoRA comes in. {@link io.lorastream.engine.Module}
 *       names a block's linears by role; the family maps them to its Hugging Face / PEFT names.</li>
 *   <li>{@link io.lorastream.engine.LoraLinear}: ΔW = scaling·B·A, merge/unmerge;
 *       {@link io.lorastream.engine.Adapter}: LoRA on the targeted layers plus the tenant's own
 *       classification head; {@link io.lorastream.engine.AdapterFiles}: PEFT layout.</li>
 *   <li>{@link io.lorastream.engine.Trainer}: AdamW, warm-up + linear decay, clipping, length
 *       bucketing, best epoch; {@link io.lorastream.engine.Classifier}: predictions and metrics.</li>
 *   <li>{@link io.lorastream.engine.MixedClassifier}: one batch, many adapters (serving): base linears once,
 *       each row's LoRA delta through batched matmuls over per-row A/B stacks, heads of any label count.</li>
 * </ul>
 *
 * <p>Choices the design left open, written down:
 * <ul>
 *   <li>Each adapter has one of its family's heads ({@link io.lorastream.engine.Family.Head}): the Hugging Face
 *       one (BERT's pooler → classifier, …), or for encoders a classifier over the mean of real tokens. A base's
 *       default is its Hugging Face head, except for sentence-transformers bases pooled by the mean (the embedded
 *       MiniLM): they were trained to be read that way, and on SST-2 the mean trains better there.</li>
 *   <li>While training, the base's own dropout applies as in BERT's train mode (the weights stay
 *       frozen) and LoRA dropout on the LoRA path only, as in PEFT; on the CPU the masks are drawn in
 *       Java ({@link io.lorastream.engine.DropoutMasks}), libtorch's serial generator being the slow
 *       part of a step.</li>
 *   <li>Decoders: 16-bit checkpoints are widened to f32 on load and computed in f32; the head reads the last
 *       real token (the mask's last 1), which is transformers' "last non-pad token" whenever the pad id does not
 *       occur inside a text; rope types other than default and llama3, and Qwen2's per-layer sliding window,
 *       are refused by name.</li>
 *   <li>AdamW is PyTorch's formula, fused into one pass over each parameter's memory on the CPU
 *       ({@link io.lorastream.engine.AdamW}), not DJL's (which places eps differently).</li>
 *   <li>The base's sha256 is over the tensors the encoder uses (name, shape, f32 values), so the same
 *       weights give the same id whether they come from ONNX or safetensors.</li>
 *   <li>Merging writes ΔW into the shared base weights and keeps their old values, so unmerge is exact;
 *       it is for single-tenant use only.</li>
 *   <li>Memory: every forward or training step runs in its own {@code NDManager} scope; long-lived
 *       weights live in the base's and the adapter's managers.</li>
 *   <li>DJL frees the tensor behind {@code mul(Number)} right after the op even when autograd keeps
 *       it; training code multiplies by constants through {@code Scalars} instead.</li>
 * </ul>
 */
package io.lorastream.engine;
