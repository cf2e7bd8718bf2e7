import type { Child } from "hono/jsx";

/** One column of a dashboard table: its header, and what each row shows in it. */
export type Column<Row> = {
  header: string;
  cell: (row: Row) => Child;
  /** Right-aligned figures (class "num"), header and cells alike. */
  num?: boolean;
  /** The cell names its row (`<th scope="row">`), as "last 7 days" does for the rates. */
  rowHeader?: boolean;
};

/**
 * The dashboard's one table layout: column headers scoped for screen readers, figures aligned
 * right. `hiddenCaption` names the table for screen readers only, where a heading already shows.
 */
export function Table<Row>(props: { columns: Column<Row>[]; rows: Row[]; caption?: string; hiddenCaption?: boolean }) {
  const { columns, rows, caption, hiddenCaption } = props;
  const numClass = (column: Column<Row>) => (column.num ? "num" : undefined);
  return (
    <table>
      {caption !== undefined && <caption class={hiddenCaption ? "skip" : undefined}>{caption}</caption>}
      <thead>
        <tr>
          {columns.map((column) => (
            <th scope="col" class={numClass(column)}>
              {column.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr>
            {columns.map((column) =>
              column.rowHeader ? (
                <th scope="row" class={numClass(column)}>
                  {column.cell(row)}
                </th>
              ) : (
                <td class={numClass(column)}>{column.cell(row)}</td>
              ),
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
