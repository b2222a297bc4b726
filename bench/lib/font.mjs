// A 3×5 bitmap font, enough for numbers, titles and adapter names (lower case is drawn as
// upper case). Each glyph is five rows, top to bottom, one octal digit per row: bit 4 is the
// left pixel, bit 1 the right one ('7' = ###, '5' = #.#, '2' = .#.).
const GLYPHS = {
  0: '75557', 1: '26227', 2: '71747', 3: '71317', 4: '55711', 5: '74717', 6: '74757', 7: '71222', 8: '75757', 9: '75717',
  A: '25755', B: '65656', C: '34443', D: '65556', E: '74647', F: '74644', G: '34553', H: '55755', I: '72227',
  J: '11152', K: '55655', L: '44447', M: '57755', N: '65555', O: '25552', P: '65644', Q: '25563', R: '65655',
  S: '34216', T: '72222', U: '55557', V: '55552', W: '55775', X: '55255', Y: '55222', Z: '71247',
  ' ': '00000', '.': '00002', ',': '00024', ':': '02020', '-': '00700', '+': '02720', '/': '11244', '=': '07070',
  '(': '24442', ')': '21112', '[': '64446', ']': '31113', '_': '00007', '%': '51245', '×': '05250', 'µ': '55574', '~': '03600',
  "'": '22000', '!': '22202', '?': '71202', '<': '12421', '>': '42124', '#': '57575',
};

export const GLYPH_WIDTH = 3;
export const GLYPH_HEIGHT = 5;
/** Horizontal distance from one glyph to the next, in font pixels. */
export const ADVANCE = 4;

/** The lit pixels of one character as [x, y] pairs in font pixels; unknown characters draw as '?'. */
export function glyphPixels(ch) {
  const rows = GLYPHS[ch] ?? GLYPHS[ch.toUpperCase()] ?? GLYPHS['?'];
  const pixels = [];
  for (let y = 0; y < GLYPH_HEIGHT; y++) {
    const bits = Number(rows[y]);
    for (let x = 0; x < GLYPH_WIDTH; x++) if (bits & (4 >> x)) pixels.push([x, y]);
  }
  return pixels;
}
