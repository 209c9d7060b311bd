package io.nnzip.pass;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * One option of a pass's config: what it means and its default, as text parsed to the field's type ("" = null).
 * {@link Configs} builds configs from a map of these (a recipe step, a Java caller) and records them in provenance.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.FIELD})
public @interface Setting {
    String value();

    String dflt() default "";
}
