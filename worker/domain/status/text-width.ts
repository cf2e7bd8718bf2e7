// Widths of Verdana at 11 px (the font shields.io badges use), from the font's advance widths in
// units of 1/2048 em, for printable ASCII (32–126). Good enough to size a badge so the text fits;
// anything else is estimated by its class (wide East Asian characters, combining marks, the rest).
const ASCII_UNITS = [
  720,
  809,
  940,
  1675,
  1303,
  2212,
  1485,
  548,
  909,
  909,
  1303,
  1675,
  745,
  864,
  745,
  909, // space … /
  1303,
  1303,
  1303,
  1303,
  1303,
  1303,
  1303,
  1303,
  1303,
  1303,
  909,
  909,
  1675,
  1675,
  1675,
  1145, // 0 … ?
  2048,
  1401,
  1405,
  1430,
  1577,
  1294,
  1178,
  1587,
  1540,
  862,
  932,
  1414,
  1155,
  1727,
  1532,
  1612, // @ … O
  1235,
  1612,
  1428,
  1401,
  1237,
  1499,
  1401,
  2025,
  1403,
  1237,
  1403,
  909,
  909,
  909,
  1675,
  1303, // P … _
  1303,
  1229,
  1276,
  1067,
  1276,
  1220,
  720,
  1276,
  1296,
  562,
  677,
  1180,
  562,
  1992,
  1296,
  1243, // ` … o
  1276,
  1276,
  874,
  1067,
  807,
  1296,
  1180,
  1675,
  1180,
  1180,
  1051,
  1303,
  909,
  1303,
  1675, // p … ~
];
const PX_PER_UNIT = 11 / 2048;
const WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/;
const COMBINING = /[\u0300-\u036F\u200B-\u200F]/;

/** The estimated width in px of `text` in Verdana 11 px. */
export function textWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 32 && code <= 126) width += ASCII_UNITS[code - 32]! * PX_PER_UNIT;
    else if (COMBINING.test(char)) continue;
    else if (WIDE.test(char) || code > 0xffff) width += 11;
    else width += 7;
  }
  return Math.round(width * 10) / 10;
}
