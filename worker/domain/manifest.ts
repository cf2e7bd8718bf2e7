/** A backup as the agent announces it before sending bytes (POST /v1/backups). */
export type Manifest = {
  size: number;
  partSize: number;
  parts: { index: number; size: number; sha256: string }[];
};

/** Workers accept request bodies up to 100 MB (Free and Pro plans); a part is one request. */
export const MAX_PART_SIZE = 95 * 1024 * 1024;
export const RECOMMENDED_PART_SIZE = 64 * 1024 * 1024;
export const MAX_PARTS = 10_000;

/**
 * What is inconsistent in a manifest, each problem naming the part it is about. Parts are numbered
 * 0…n-1 in order, every part but the last is exactly `partSize`, none is empty unless the whole
 * artifact is, one sha256 has one size (parts are stored once per sha256: a hash declared with two
 * sizes would let one stored byte stand for gigabytes), and the sizes add up to `size`.
 */
export function manifestProblems(m: Manifest): string[] {
  const problems: string[] = [];
  if (m.parts.length === 0) return ["parts: a backup has at least one part (one empty part for 0 bytes)"];
  m.parts.forEach((part, i) => {
    if (part.index !== i)
      problems.push(`parts[${i}].index: expected ${i}, got ${part.index} (parts are numbered 0…n-1 in order)`);
    const last = i === m.parts.length - 1;
    if (!last && part.size !== m.partSize)
      problems.push(`parts[${i}].size: every part but the last is part_size (${m.partSize}) bytes, got ${part.size}`);
    if (last && part.size > m.partSize)
      problems.push(`parts[${i}].size: ${part.size} is larger than part_size (${m.partSize})`);
    if (part.size === 0 && m.parts.length > 1)
      problems.push(`parts[${i}].size: only a single-part backup may be empty`);
  });
  const firstWithSha = new Map<string, number>();
  m.parts.forEach((part, i) => {
    const first = firstWithSha.get(part.sha256);
    if (first === undefined) firstWithSha.set(part.sha256, i);
    else if (m.parts[first]!.size !== part.size)
      problems.push(
        `parts[${i}].sha256: ${part.sha256} is also parts[${first}]'s, with ${m.parts[first]!.size} bytes, not ${part.size} (one sha256 has one size)`,
      );
  });
  const total = m.parts.reduce((sum, p) => sum + p.size, 0);
  if (total !== m.size) problems.push(`size: the parts add up to ${total} bytes, not ${m.size}`);
  return problems;
}
