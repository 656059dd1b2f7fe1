package io.lorastream.streams;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;

/**
 * On a configuration group whose settings constrain one another ({@code min-rollback-samples} at most
 * {@code min-samples}): rules between fields, which an annotation on one field cannot state. The group
 * names what is wrong; the start fails with it, prefixed by the group's key.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Constraint(validatedBy = ConsistentSettings.Check.class)
public @interface ConsistentSettings {
    String message() default "";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    /** Implemented by the annotated group. */
    interface Checked {
        /** Each rule between this group's settings that its values break, naming the keys and values; empty when none. */
        List<String> inconsistencies();
    }

    class Check implements ConstraintValidator<ConsistentSettings, Checked> {
        @Override
        public boolean isValid(Checked group, ConstraintValidatorContext context) {
            List<String> problems = group.inconsistencies();
            if (problems.isEmpty()) {
                return true;
            }
            context.disableDefaultConstraintViolation();
            for (String problem : problems) {
                // a message template: its own braces, dollar signs and backslashes are literal text here
                context.buildConstraintViolationWithTemplate(problem.replaceAll("([\\\\{}$])", "\\\\$1")).addConstraintViolation();
            }
            return false;
        }
    }
}
