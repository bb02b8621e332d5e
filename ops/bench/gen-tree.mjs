// Writes a root filesystem of about SIZE_MB megabytes for benchmarks: a few thousand files of mixed
// sizes, half text-like (compresses well), half random (does not), as real images are.
// Usage: node ops/bench/gen-tree.mjs DIR SIZE_MB
import { mkdirSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

const [dir, sizeArg] = process.argv.slice(2);
const target = Number(sizeArg ?? 220) * 1024 * 1024;
const words = "the quick brown fox jumps over a lazy dog while jetpack stores appc images on zfs datasets ".split(" ");
let written = 0;
let n = 0;
while (written < target) {
  const sub = `${dir}/usr/lib/pkg${Math.floor(n / 200)}`;
  if (n % 200 === 0) mkdirSync(sub, { recursive: true });
  // Sizes from 1 KiB to ~1 MiB, skewed small, like a distribution's files.
  const size = Math.min(target - written, Math.floor(1024 * Math.pow(1024, Math.random())));
  let body;
  if (n % 2 === 0) {
    body = randomBytes(size);
  } else {
    const parts = [];
    let len = 0;
    while (len < size) {
      const w = words[(len * 7 + n) % words.length] + " ";
      parts.push(w);
      len += w.length;
    }
    body = Buffer.from(parts.join("").slice(0, size));
  }
  writeFileSync(`${sub}/file${n}`, body);
  written += size;
  n++;
}
console.log(`${n} files, ${(written / 1048576).toFixed(1)} MiB`);
