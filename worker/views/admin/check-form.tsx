import type { FC } from "hono/jsx";
import {
  CheckboxField,
  ErrorSummary,
  SelectField,
  TextArea,
  TextField,
  type FieldInfo,
  type FormErrors,
  type FormValues,
} from "./fields";
import { CsrfField, Layout, type PageContext } from "./layout";
import { CHECK_FIELD_GROUPS, CHECK_FIELDS } from "../../domain/check-fields";

/** Labels and hints of the fields the dashboard knows; a field the API adds later still shows up. */
export const CHECK_LABELS: Record<string, { label: string; hint?: string }> = Object.fromEntries(
  Object.entries(CHECK_FIELDS).map(([name, f]) => [name, { label: f.label, ...(f.hint ? { hint: f.hint } : {}) }]),
);

/** The form's sections: the field groups of routes/api/check-fields, in their order. */
const SECTIONS: { legend: string; fields: string[]; note?: string }[] = CHECK_FIELD_GROUPS.map((group) => ({
  legend: group.legend,
  fields: Object.keys(group.fields),
  ...("note" in group ? { note: group.note } : {}),
}));

export const labelOf = (name: string) => CHECK_LABELS[name]?.label ?? name;

type CheckFormProps = {
  page: PageContext;
  title: string;
  action: string;
  submit: string;
  fields: FieldInfo[];
  values: FormValues;
  errors: FormErrors;
};

/** The create and edit form of a check: sections of the fields the API's schema has. */
export const CheckForm: FC<CheckFormProps> = (p) => {
  const byName = new Map(p.fields.map((f) => [f.name, f]));
  const known = new Set(SECTIONS.flatMap((s) => s.fields));
  const creating = p.action === "/admin/checks";
  const sections = [
    ...SECTIONS.map((s) => ({
      legend: s.legend,
      note: creating ? s.note : undefined,
      fields: s.fields.flatMap((n) => byName.get(n) ?? []),
    })),
    { legend: "More", note: undefined, fields: p.fields.filter((f) => !known.has(f.name)) },
  ].filter((s) => s.fields.length > 0);
  const labels = Object.fromEntries(p.fields.map((f) => [f.name, labelOf(f.name)]));
  return (
    <Layout title={p.title} page={p.page} current={creating ? "/admin/checks/new" : undefined}>
      <ErrorSummary errors={p.errors} labels={labels} />
      <form method="post" action={p.action} class="stack" novalidate>
        <CsrfField token={p.page.csrf} />
        {sections.map((section) => (
          <fieldset>
            <legend>{section.legend}</legend>
            {section.note && <p class="muted">{section.note}</p>}
            {section.fields.map((field) => (
              <Field field={field} value={p.values[field.name]} error={p.errors[field.name]} />
            ))}
          </fieldset>
        ))}
        <button type="submit">{p.submit}</button>
      </form>
    </Layout>
  );
};

const Field: FC<{ field: FieldInfo; value: FormValues[string]; error?: string }> = ({ field, value, error }) => {
  const { label, hint } = CHECK_LABELS[field.name] ?? { label: field.name };
  const text = Array.isArray(value) ? value.join(", ") : (value ?? "");
  const common = { name: field.name, label, hint, error };
  if (field.type === "boolean") return <CheckboxField {...common} checked={text === "true"} />;
  if (field.type === "enum") return <SelectField {...common} value={text} options={field.options ?? []} />;
  if (field.name === "desc") return <TextArea {...common} value={text} />;
  return <TextField {...common} value={text} required={field.name === "name"} />;
};
