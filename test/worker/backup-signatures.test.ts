import { beforeAll, describe, expect, it } from "vitest";
import { statementFields } from "../../worker/domain/backup-signature";
import { call, createCheck, json, tableCounts } from "../helpers/api";
import { createAgentKey, signedJson, type AgentKey } from "../helpers/agent";
import { bytesOf, manifestOf, split, uploadBackup } from "../helpers/backups";

/**
 * Backups signed by the host that made them (issue 20): the Worker keeps the signature and returns
 * it with the backup, and refuses one that could never verify or that contradicts its manifest.
 * It never makes one: it holds no private key.
 */

const b64 = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes))));

type HostKey = { privateKey: CryptoKey; publicKey: string };

async function hostKey(): Promise<HostKey> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const spki = (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer;
  return { privateKey: pair.privateKey, publicKey: b64(spki) };
}

/** The statement as agent-script/lifeboat writes it, signed by `key`. */
async function signed(key: HostKey, facts: Record<string, string | number>) {
  const statement = ["lifeboat-backup-v1", ...Object.entries(facts).map(([k, v]) => `${k}=${v}`)].join(" ");
  const value = b64(await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey, new TextEncoder().encode(statement)));
  return { statement, value, public_key: key.publicKey };
}

let host: AgentKey;
let vpsKey: HostKey;

beforeAll(async () => {
  await createCheck({ name: "signed db", slug: "signed-db", kind: "backup" });
  host = await createAgentKey(["signed-db"], ["upload", "read"]);
  vpsKey = await hostKey();
});

async function factsOf(data: Uint8Array) {
  const s = await split(data, 1 << 20);
  const facts = {
    check: "signed-db",
    sha256: s.sha256,
    size: data.length,
    compression: "gzip",
    encryption: "none",
    format: "pgdump-custom",
    source: "postgres",
    host: "vps-1",
    created: 1_800_000_000,
  };
  return { s, facts };
}

describe("signed manifests", () => {
  it("keeps the signature and returns it with the backup to the agent and the admin API", async () => {
    const data = bytesOf(300_000, 41);
    const { facts } = await factsOf(data);
    const signature = await signed(vpsKey, facts);
    const { id, backup } = await uploadBackup(host, "signed-db", data, 1 << 20, { signature });
    expect(backup.signature).toEqual(signature);
    expect((await signedJson(host, "GET", `/v1/backups/${id}`)).body.signature).toEqual(signature);
    const listed = await signedJson(host, "GET", "/v1/checks/signed-db/backups");
    expect(listed.body.backups[0]).toMatchObject({ id, signature });
    expect((await json(call("GET", `/api/v1/backups/${id}`))).signature).toEqual(signature);
    expect(statementFields(signature.statement)?.get("format")).toBe("pgdump-custom");
  });

  it("an unsigned manifest (an older agent) is stored with signature null", async () => {
    const { backup } = await uploadBackup(host, "signed-db", bytesOf(1000, 42));
    expect(backup.signature).toBeNull();
  });

  const refusals: [string, (facts: Record<string, string | number>) => Promise<unknown>, RegExp][] = [
    [
      "a statement naming another sha256",
      async (facts) => signed(vpsKey, { ...facts, sha256: "0".repeat(64) }),
      /sha256=0{64} but the manifest says/,
    ],
    ["a statement for another check", async (facts) => signed(vpsKey, { ...facts, check: "other" }), /check=other/],
    [
      "a signature that does not verify",
      async (facts) => {
        const good = await signed(vpsKey, facts);
        return { ...good, public_key: (await hostKey()).publicKey };
      },
      /does not verify/,
    ],
    [
      "a statement that is not v1",
      async (facts) => ({ ...(await signed(vpsKey, facts)), statement: "lifeboat-backup-v0 x=1" }),
      /not a lifeboat-backup-v1 statement/,
    ],
    [
      "a public key that is not base64 of an SPKI key",
      async (facts) => ({ ...(await signed(vpsKey, facts)), public_key: "A".repeat(60) }),
      /does not verify/,
    ],
  ];

  for (const [what, make, message] of refusals) {
    it(`refuses ${what} and writes nothing`, async () => {
      const data = bytesOf(5000, 43);
      const { s, facts } = await factsOf(data);
      const signature = await make(facts);
      const before = await tableCounts();
      const answer = await signedJson(host, "POST", "/v1/backups", {
        ...manifestOf("signed-db", data, s, 1 << 20),
        signature,
      });
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body)).toMatch(message);
      expect(await tableCounts()).toEqual(before);
    });
  }

  it("refuses a statement with control characters or newlines before looking at it", async () => {
    const data = bytesOf(5000, 44);
    const { s, facts } = await factsOf(data);
    const signature = await signed(vpsKey, facts);
    const answer = await signedJson(host, "POST", "/v1/backups", {
      ...manifestOf("signed-db", data, s, 1 << 20),
      signature: { ...signature, statement: `${signature.statement}\n\u001b[31m` },
    });
    expect(answer.status).toBe(400);
  });
});
