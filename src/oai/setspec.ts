/**
 * EPrints hex-encodes setSpecs (`7374617475733D707562` = `status=pub`), one hex run per
 * colon-separated level. A setSpec that is not entirely even-length uppercase hex parts
 * is kept as written, as are parts that do not decode to valid UTF-8.
 */
const decoded = new Map<string, string>();

export function decodeSetSpec(setSpec: string): string {
  // A repository has few sets and every record repeats them.
  let result = decoded.get(setSpec);
  if (result === undefined) {
    result = decode(setSpec);
    if (decoded.size < 10_000) decoded.set(setSpec, result);
  }
  return result;
}

function decode(setSpec: string): string {
  if (!/^[0-9A-F]+(:[0-9A-F]+)*$/.test(setSpec)) return setSpec;
  const parts = setSpec.split(':');
  if (parts.some((p) => p.length % 2 !== 0)) return setSpec;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    const decoded = parts.map((p) => decoder.decode(Buffer.from(p, 'hex')));
    // Decoded text must be printable, otherwise "CAFE" would turn into junk bytes.
    if (decoded.some((d) => /[\x00-\x1F\x7F]/.test(d))) return setSpec;
    return decoded.join(':');
  } catch {
    return setSpec;
  }
}
