/**
 * A tiny bitmap font, so that pictures drawn without a browser can carry
 * captions and numbers: {@linkcode drawText} writes a line of text into a
 * grayscale image, {@linkcode textWidth} says how wide it will be.
 *
 * Each character of printable ASCII is 5 pixels wide and 8 tall (7 above the
 * baseline, 1 below it for descenders), one pixel apart. Other characters are
 * drawn as a box. `scale` magnifies each pixel into a square, so scale 2 gives
 * 10×16-pixel letters.
 *
 * @example Write a caption on a white image
 * ```ts
 * import { drawText, textWidth } from "./font.ts";
 * import { encodePng } from "../load/png.ts";
 *
 * const width = textWidth("mean 3", 2) + 8, height = 24;
 * const image = { width, height, pixels: new Uint8Array(width * height).fill(255) };
 * drawText(image, "mean 3", 4, 4, { scale: 2 });
 * await Deno.writeFile("caption.png", encodePng(image.pixels, width, height));
 * ```
 *
 * @module
 */
import type { GrayImage } from "../load/png.ts";

/**
 * The glyphs of the characters " " (32) to "~" (126), in order, eight
 * base-32 digits each: one per row, top to bottom, whose five bits are the
 * row's pixels, left (bit 4) to right (bit 0).
 */
const GLYPHS = [
  "0000000044444040aaa00000aavavaa04fke5u40op248j30cik8lid044400000", // ␠!"#$%&'
  "248884208422248004lel400044v440000000448000v00000000004001248g00", // ()*+,-./
  "ehjlphe04c4444e0eh1248v0v2421he026aiv220vgu11he068guhhe0v1248880", // 01234567
  "ehhehhe0ehhf12c00040040000400448248g842000v0v00084212480eh124040", // 89:;<=>?
  "ehnlnge0ehhvhhh0uhhuhhu0ehggghe0sihhhis0vgguggv0vgguggg0ehgnhhf0", // @ABCDEFG
  "hhhvhhh0e44444e072222ic0hikokih0ggggggv0hrllhhh0hhpljhh0ehhhhhe0", // HIJKLMNO
  "uhhuggg0ehhhlid0uhhukih0fgge11u0v4444440hhhhhhe0hhhhha40hhhllla0", // PQRSTUVW
  "hha4ahh0hha44440v1248gv0e88888e00g842100e22222e04ah000000000000v", // XYZ[\]^_
  "8420000000e1fhf0ggmphhu000egghe011djhhf000ehvge0698s888000fhhf1e", // `abcdefg
  "ggmphhh040c444e0206222icggikoki0c44444e000qllhh000mphhh000ehhhe0", // hijklmno
  "00uhhugg00fhhf1100mpggg000fge1u088s8896000hhhjd000hhha4000hhlla0", // pqrstuvw
  "00ha4ah000hhhf1e00v248v03448443044444440o44244o0008l2000", // xyz{|}~
].join("");

/** The glyph of characters the font lacks: a box. */
const BOX = "vhhhhhv0";

/** Width of a character, in font pixels. */
export const GLYPH_WIDTH = 5;
/** Height of a character, descender included, in font pixels. */
export const GLYPH_HEIGHT = 8;

/** The eight row bit masks of a character's glyph. */
function glyph(char: string): number[] {
  const code = char.codePointAt(0)!;
  const index = code - 32;
  const digits = index >= 0 && index < 95
    ? GLYPHS.slice(index * 8, index * 8 + 8)
    : BOX;
  return [...digits].map((digit) => parseInt(digit, 32));
}

/**
 * Options of {@linkcode drawText}.
 *
 * @example Large white letters
 * ```ts
 * import type { TextOptions } from "./font.ts";
 *
 * const options: TextOptions = { scale: 3, ink: 255 };
 * ```
 */
export interface TextOptions {
  /** Pixels per font pixel, across and down. Default 1. */
  readonly scale?: number;
  /** The gray level of the letters, 0 (black, the default) to 255 (white). */
  readonly ink?: number;
}

/**
 * The width in pixels of a line of text at a scale: 6 font pixels per
 * character (5 for the glyph, 1 between glyphs), less the last gap.
 *
 * @example
 * ```ts
 * import { textWidth } from "./font.ts";
 *
 * console.log(textWidth("255"), textWidth("255", 2)); // 17 34
 * ```
 */
export function textWidth(text: string, scale = 1): number {
  const chars = [...text].length;
  return chars === 0 ? 0 : (chars * (GLYPH_WIDTH + 1) - 1) * scale;
}

/**
 * Draws a line of text into a grayscale image, its top left corner at
 * column `x`, row `y`; pixels outside the image are left out. Only the
 * letters are drawn: the background keeps its gray levels.
 *
 * @example A white label on black
 * ```ts
 * import { drawText } from "./font.ts";
 *
 * const image = { width: 40, height: 10, pixels: new Uint8Array(400) };
 * drawText(image, "w=0.5", 1, 1, { ink: 255 });
 * ```
 */
export function drawText(
  image: GrayImage,
  text: string,
  x: number,
  y: number,
  options: TextOptions = {},
): void {
  const scale = options.scale ?? 1;
  const ink = options.ink ?? 0;
  const { width, height, pixels } = image;
  let left = x;
  for (const char of text) {
    glyph(char).forEach((bits, row) => {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if ((bits & (1 << (GLYPH_WIDTH - 1 - col))) === 0) continue;
        for (let dy = 0; dy < scale; dy++) {
          const py = y + row * scale + dy;
          if (py < 0 || py >= height) continue;
          for (let dx = 0; dx < scale; dx++) {
            const px = left + col * scale + dx;
            if (px >= 0 && px < width) pixels[py * width + px] = ink;
          }
        }
      }
    });
    left += (GLYPH_WIDTH + 1) * scale;
  }
}
