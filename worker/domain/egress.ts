// Where alert channels may send (docs/SECURITY.md, "Egress"). Pure: a URL in, a reason to refuse it
// out. A channel URL is chosen by whoever holds the admin token; these rules keep that from turning
// the Worker into a way to reach addresses that are not on the public internet (loopback, the
// LAN, a cloud's metadata service) or to smuggle credentials in a URL's userinfo.
//
// Host names are judged as the WHATWG URL parser (the one fetch uses) normalises them: it turns
// every IPv4 notation (2130706433, 0x7f000001, 0177.0.0.1, 127.1) into dotted decimal and IPv6 into
// its compressed form, lower-cases names and maps full-width digits, so what is checked here is
// what fetch would connect to. Names that merely resolve to an internal address cannot be judged
// without DNS (which a Worker cannot do); see docs/SECURITY.md for what still protects that case.

/** IPv4 ranges that are not public unicast, as [first address, prefix length, what it is]. */
const IPV4_BLOCKED: [string, number, string][] = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local (cloud metadata)"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignments"],
  ["192.0.2.0", 24, "documentation"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved or broadcast"],
  // Azure's wire server and instance metadata sit on a public address.
  ["168.63.129.16", 32, "cloud metadata"],
];

/** IPv6 ranges that are not public unicast (the IPv4-embedding ones are checked by their IPv4 part). */
const IPV6_BLOCKED: [string, number, string][] = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["64:ff9b:1::", 48, "local-use NAT64"],
  ["100::", 64, "discard"],
  ["2001:db8::", 32, "documentation"],
  ["fc00::", 7, "unique local"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "site-local"],
  ["ff00::", 8, "multicast"],
];

/** Names that only mean something inside a network (RFC 6761, 6762, 8375, cloud-internal zones). */
const INTERNAL_SUFFIXES = [
  "localhost",
  "localdomain",
  "local",
  "internal",
  "intranet",
  "lan",
  "home.arpa",
  "corp",
  "private",
];

/**
 * Why a channel may not send to `raw`, in words, or null when it may. With `allowInsecure`
 * (ALLOW_INSECURE_CHANNELS=true: development and tests only) any http(s) URL is allowed.
 */
export function egressProblem(raw: string, allowInsecure: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a valid URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "only http(s) URLs can receive alerts";
  if (allowInsecure) return null;
  if (url.protocol !== "https:") {
    return "use an https:// URL (http is allowed only with ALLOW_INSECURE_CHANNELS in development)";
  }
  if (url.username !== "" || url.password !== "") {
    return "a URL may not carry a user name or password (user:pass@): put credentials in the channel's own fields";
  }
  return hostProblem(url.hostname);
}

/** Why a host (as URL.hostname gives it) is not a public destination, or null. */
export function hostProblem(hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.+$/, "");
  if (host === "") return "the URL has no host";
  if (host.startsWith("[")) {
    const address = parseIpv6(host.slice(1, -1));
    if (!address) return "not a valid IPv6 address";
    const what = ipv6Range(address);
    return what ? `${hostname} is a ${what} address, not a public one` : null;
  }
  const v4 = parseDottedIpv4(host);
  if (v4 !== null) {
    const what = ipv4Range(v4);
    return what ? `${hostname} is a ${what} address, not a public one` : null;
  }
  // A last label of digits (or 0x…) would have been read as an IPv4 address by the URL parser;
  // one that was not is malformed, and fetch would refuse it anyway.
  if (/^(0x[0-9a-f]*|\d+)$/.test(host.split(".").pop()!)) return `${hostname} is not a valid address`;
  const suffix = INTERNAL_SUFFIXES.find((s) => host === s || host.endsWith(`.${s}`));
  if (suffix) return `${hostname} is an internal name (.${suffix}), not a public one`;
  if (!host.includes(".")) return `${hostname} is a single-label name, which only resolves inside a network`;
  return null;
}

/** "a.b.c.d" with each part 0–255 in decimal, as a 32-bit number; null for anything else. */
export function parseDottedIpv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

function ipv4Range(address: number): string | null {
  for (const [first, prefix, what] of IPV4_BLOCKED) {
    const size = 2 ** (32 - prefix);
    const start = parseDottedIpv4(first)!;
    if (address >= start && address < start + size) return what;
  }
  return null;
}

/** An IPv6 address (without brackets) as 8 16-bit groups; accepts "::" and a trailing dotted IPv4. */
export function parseIpv6(text: string): number[] | null {
  if (text.includes("%")) return null; // zone ids name an interface: never a public destination
  let body = text;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = parseDottedIpv4(dotted[2]!);
    if (v4 === null) return null;
    tail.push(v4 >>> 16, v4 & 0xffff);
    body = dotted[1]!.endsWith("::") ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (![...head, ...rest].every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 1 && explicit !== 8) return null;
  if (halves.length === 2 && explicit > 7) return null;
  const zeros = Array<number>(8 - explicit).fill(0);
  return [
    ...head.map((g) => parseInt(g, 16)),
    ...(halves.length === 2 ? zeros : []),
    ...rest.map((g) => parseInt(g, 16)),
    ...tail,
  ];
}

function ipv6Range(groups: number[]): string | null {
  for (const [first, prefix, what] of IPV6_BLOCKED) {
    if (inIpv6Prefix(groups, parseIpv6(first)!, prefix)) return what;
  }
  const embedded = embeddedIpv4(groups);
  const what = embedded === null ? null : ipv4Range(embedded);
  return what ? `${what} (IPv4 inside IPv6)` : null;
}

/**
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4
 * (2002:AABB:CCDD::) addresses carry an IPv4 address that is where the packets really go.
 */
function embeddedIpv4(g: number[]): number | null {
  const low32 = g[6]! * 65536 + g[7]!;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && (g[5] === 0xffff || g[5] === 0)) return low32;
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return low32;
  if (g[0] === 0x2002) return g[1]! * 65536 + g[2]!;
  return null;
}

function inIpv6Prefix(address: number[], network: number[], prefix: number): boolean {
  for (let bit = 0; bit < prefix; bit += 16) {
    const take = Math.min(16, prefix - bit);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if ((address[bit / 16]! & mask) !== (network[bit / 16]! & mask)) return false;
  }
  return true;
}
