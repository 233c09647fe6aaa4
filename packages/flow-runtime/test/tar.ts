/** A minimal ustar archive of regular files (for dockerode's putArchive in tests). */
export function tarOf(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  const mtime = Math.floor(Date.now() / 1000);
  for (const [name, content] of Object.entries(files)) {
    const body = Buffer.from(content, "utf8");
    if (Buffer.byteLength(name) > 100) throw new Error(`tar name too long: ${name}`);
    const header = Buffer.alloc(512);
    const field = (offset: number, length: number, value: string): void => {
      header.write(value, offset, length, "utf8");
    };
    const octal = (offset: number, length: number, value: number): void => {
      field(offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
    };
    field(0, 100, name);
    octal(100, 8, 0o644);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, body.length);
    octal(136, 12, mtime);
    field(148, 8, "        "); // checksum placeholder: spaces while summing
    field(156, 1, "0");
    field(257, 6, "ustar\0");
    field(263, 2, "00");
    let sum = 0;
    for (const byte of header) sum += byte;
    field(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
