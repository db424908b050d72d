// Makes every icon the installers need from installers/icon.png (the one source image, 1024×1024):
// dist/icons/png/<n>x<n>.png (Linux), icon.ico (Windows), icon.icns (macOS), icon.png (512, the
// default). Run by `npm run dist`; `node --import tsx installers/make-icons.ts [SOURCE] [OUT]`.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decodePng, encodePng, icnsOf, icoOf, resize } from './icons.js';

const root = resolve(import.meta.dirname, '..');
const source = resolve(process.argv[2] ?? join(root, 'installers', 'icon.png'));
const out = resolve(process.argv[3] ?? join(root, 'dist', 'icons'));
const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

const img = decodePng(await readFile(source));
const pngs = SIZES.map((size) => ({ size, png: size === img.width ? encodePng(img) : encodePng(resize(img, size)) }));
await mkdir(join(out, 'png'), { recursive: true });
for (const { size, png } of pngs) await writeFile(join(out, 'png', `${size}x${size}.png`), png);
await writeFile(join(out, 'icon.png'), pngs.find((p) => p.size === 512)!.png);
await writeFile(join(out, 'icon.ico'), icoOf(pngs.filter((p) => [16, 24, 32, 48, 64, 128, 256].includes(p.size))));
await writeFile(join(out, 'icon.icns'), icnsOf(pngs.filter((p) => [16, 32, 64, 128, 256, 512, 1024].includes(p.size))));
process.stdout.write(`icons: ${pngs.length} PNG sizes, icon.ico, icon.icns in ${out}\n`);
