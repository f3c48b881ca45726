import { inflateSync } from 'node:zlib';

/** A decoded image: RGBA bytes, row by row. */
export interface Image {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

/**
 * Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium's screenshots are), so a test
 * can look at pixels without an image library.
 */
export function decodePng(png: Buffer): Image {
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
      if (depth !== 8 || interlace !== 0 || (colour !== 2 && colour !== 6)) {
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colour}, interlace ${interlace}`);
      }
      channels = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') {
      data.push(body);
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x] as number;
      const left = x >= channels ? (pixels[y * stride + x - channels] as number) : 0;
      const up = y > 0 ? (pixels[(y - 1) * stride + x] as number) : 0;
      const upLeft = x >= channels && y > 0 ? (pixels[(y - 1) * stride + x - channels] as number) : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = Math.floor((left + up) / 2);
      else if (filter === 4) {
        const estimate = left + up - upLeft;
        const [a, b, c] = [Math.abs(estimate - left), Math.abs(estimate - up), Math.abs(estimate - upLeft)];
        predicted = a <= b && a <= c ? left : b <= c ? up : upLeft;
      }
      pixels[y * stride + x] = (value + predicted) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = pixels[i * channels] as number;
    rgba[i * 4 + 1] = pixels[i * channels + 1] as number;
    rgba[i * 4 + 2] = pixels[i * channels + 2] as number;
    rgba[i * 4 + 3] = channels === 4 ? (pixels[i * channels + 3] as number) : 255;
  }
  return { width, height, rgba };
}

/** How many pixels are within `tolerance` of the colour `#rrggbb` on each channel. */
export function countPixels(image: Image, hex: string, tolerance = 12): number {
  const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(hex.slice(1 + i, 3 + i), 16)) as [
    number,
    number,
    number,
  ];
  let count = 0;
  for (let i = 0; i < image.rgba.length; i += 4) {
    if (
      Math.abs((image.rgba[i] as number) - r) <= tolerance &&
      Math.abs((image.rgba[i + 1] as number) - g) <= tolerance &&
      Math.abs((image.rgba[i + 2] as number) - b) <= tolerance
    ) {
      count++;
    }
  }
  return count;
}

/** The number of different colours: a blank or failed render has very few. */
export function distinctColours(image: Image): number {
  const seen = new Set<number>();
  for (let i = 0; i < image.rgba.length; i += 4) {
    seen.add(
      ((image.rgba[i] as number) << 16) |
        ((image.rgba[i + 1] as number) << 8) |
        (image.rgba[i + 2] as number),
    );
  }
  return seen.size;
}
