import type { FC } from "hono/jsx";

/** What the user typed (kept on an error), and the error of each field by its form name. */
export type FormValues = Record<string, string | string[] | undefined>;
export type FormErrors = Record<string, string>;
/** A field of an API schema, as forms.ts reads it from the zod shape. */
export type FieldInfo = {
  name: string;
  type: "number" | "string" | "boolean" | "enum" | "array" | "other";
  nullable: boolean;
  options?: string[];
  /** The schema takes "" (keywords, methods): on an update an emptied field sends "" to clear it. */
  acceptsEmpty?: boolean;
};
/** The key of errors that belong to no single field. */
export const FORM_ERROR = "_form";

export const fieldId = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, "-")}`;

type FieldProps = {
  name: string;
  label: string;
  hint?: string;
  error?: string;
  required?: boolean;
};

/** The hint and error ids an input is described by, so screen readers read both with it. */
function describedBy(name: string, hint?: string, error?: string): string | undefined {
  const ids = [hint && `${fieldId(name)}-hint`, error && `${fieldId(name)}-error`].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

const Notes: FC<{ name: string; hint?: string; error?: string }> = ({ name, hint, error }) => (
  <>
    {hint && (
      <span class="hint" id={`${fieldId(name)}-hint`}>
        {hint}
      </span>
    )}
    {error && (
      <span class="error" id={`${fieldId(name)}-error`}>
        {error}
      </span>
    )}
  </>
);

export const TextField: FC<FieldProps & { value?: string; type?: string; autocomplete?: string }> = (p) => (
  <div class="field">
    <label for={fieldId(p.name)}>{p.label}</label>
    <Notes name={p.name} hint={p.hint} error={p.error} />
    <input
      id={fieldId(p.name)}
      name={p.name}
      type={p.type ?? "text"}
      value={p.value ?? ""}
      required={p.required}
      autocomplete={p.autocomplete ?? "off"}
      aria-invalid={p.error ? "true" : undefined}
      aria-describedby={describedBy(p.name, p.hint, p.error)}
    />
  </div>
);

export const TextArea: FC<FieldProps & { value?: string }> = (p) => (
  <div class="field">
    <label for={fieldId(p.name)}>{p.label}</label>
    <Notes name={p.name} hint={p.hint} error={p.error} />
    <textarea
      id={fieldId(p.name)}
      name={p.name}
      rows={3}
      aria-invalid={p.error ? "true" : undefined}
      aria-describedby={describedBy(p.name, p.hint, p.error)}
    >
      {p.value ?? ""}
    </textarea>
  </div>
);

export const SelectField: FC<FieldProps & { value?: string; options: readonly string[] }> = (p) => (
  <div class="field">
    <label for={fieldId(p.name)}>{p.label}</label>
    <Notes name={p.name} hint={p.hint} error={p.error} />
    <select
      id={fieldId(p.name)}
      name={p.name}
      aria-invalid={p.error ? "true" : undefined}
      aria-describedby={describedBy(p.name, p.hint, p.error)}
    >
      {p.options.map((option) => (
        <option value={option} selected={option === p.value}>
          {option}
        </option>
      ))}
    </select>
  </div>
);

export const CheckboxField: FC<FieldProps & { checked: boolean; value?: string }> = (p) => (
  <div class="field check">
    <input
      id={fieldId(p.name)}
      name={p.name}
      type="checkbox"
      value={p.value ?? "true"}
      checked={p.checked}
      aria-invalid={p.error ? "true" : undefined}
      aria-describedby={describedBy(p.name, p.hint, p.error)}
    />{" "}
    <label for={fieldId(p.name)}>{p.label}</label>
    <Notes name={p.name} hint={p.hint} error={p.error} />
  </div>
);

/** The errors at the top of a form, each linking to its field; announced when the page loads. */
export const ErrorSummary: FC<{ errors: FormErrors; labels: Record<string, string> }> = ({ errors, labels }) => {
  const entries = Object.entries(errors);
  if (entries.length === 0) return null;
  return (
    <div class="notice errors" role="alert">
      <p>
        <strong>Nothing was saved.</strong> Please correct:
      </p>
      <ul>
        {entries.map(([name, message]) =>
          name === FORM_ERROR ? (
            <li>{message}</li>
          ) : (
            <li>
              <a href={`#${fieldId(name)}`}>{labels[name] ?? name}</a>: {message}
            </li>
          ),
        )}
      </ul>
    </div>
  );
};
