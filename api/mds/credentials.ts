// Which pod a metadata token belongs to, and each pod's HMAC key, kept in memory: a strict client gives
// each request 100 ms, and a pod's secrets never change once it is prepared, so files are read once.
//
// The map is keyed by a SHA-256 digest of the token, never by the token itself: the lookup then compares
// digests, not secrets, and nothing here holds the token in a form worth logging.
import { createHash } from "node:crypto";
import type { PodsProjection, PodView } from "../../machines/projections/pods.js";
import type { PodState } from "../../machines/pod.machine.js";

export interface CredentialSources {
  pods: () => PodsProjection;
  secretsOf: (uuid: string) => Promise<{ token: string; hmacKey: string }>;
}

interface Credentials {
  uuid: string;
  digest: string;
  key: Buffer;
}

/** Secrets are written during prepare (and written again if a prepare job runs twice): read them after. */
const SECRETS_SETTLED: ReadonlySet<PodState> = new Set<PodState>(["prepared", "starting", "running", "stopping", "exited", "destroying", "failed"]);

/** Pure. The digest a token is known by; also safe to log in part. */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export class PodCredentials {
  private readonly byDigest = new Map<string, Credentials>();
  private readonly byUuid = new Map<string, Credentials>();
  /** Pods whose secrets could not be read, with the pod's updatedAt then: tried again once it changes. */
  private readonly unreadable = new Map<string, string>();
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly sources: CredentialSources,
    /** Told about each pod that left the projection, so other caches can drop it too. */
    private readonly onForget: (uuid: string) => void = () => {},
  ) {}

  /** The live pod that `token` belongs to, or undefined. Reads secrets only on a miss (a new pod). */
  async podOfToken(token: string): Promise<PodView | undefined> {
    const digest = tokenDigest(token);
    if (!this.byDigest.has(digest)) await this.refresh();
    const hit = this.byDigest.get(digest);
    return hit === undefined ? undefined : this.live(hit);
  }

  /** The HMAC key of the live pod `uuid`, or undefined. */
  async keyOf(uuid: string): Promise<Buffer | undefined> {
    if (!this.byUuid.has(uuid)) await this.refresh();
    const hit = this.byUuid.get(uuid);
    return hit === undefined || this.live(hit) === undefined ? undefined : hit.key;
  }

  private live(creds: Credentials): PodView | undefined {
    const view = this.sources.pods().pods.get(creds.uuid);
    if (view === undefined) this.forget(creds.uuid);
    return view;
  }

  private forget(uuid: string): void {
    const creds = this.byUuid.get(uuid);
    if (creds !== undefined) this.byDigest.delete(creds.digest);
    this.byUuid.delete(uuid);
    this.unreadable.delete(uuid);
    this.onForget(uuid);
  }

  /** One refresh at a time; requests that miss meanwhile wait for the same one. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.readNewPods().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async readNewPods(): Promise<void> {
    const pods = this.sources.pods().pods;
    for (const uuid of [...this.byUuid.keys()]) if (!pods.has(uuid)) this.forget(uuid);
    for (const uuid of [...this.unreadable.keys()]) if (!pods.has(uuid)) this.unreadable.delete(uuid);
    const candidates = [...pods.values()].filter((p) => SECRETS_SETTLED.has(p.state) && !this.byUuid.has(p.uuid) && this.unreadable.get(p.uuid) !== p.updatedAt);
    await Promise.all(
      candidates.map(async (pod) => {
        try {
          const secrets = await this.sources.secretsOf(pod.uuid);
          const creds = { uuid: pod.uuid, digest: tokenDigest(secrets.token), key: Buffer.from(secrets.hmacKey, "base64") };
          this.byUuid.set(pod.uuid, creds);
          this.byDigest.set(creds.digest, creds);
          this.unreadable.delete(pod.uuid);
        } catch {
          this.unreadable.set(pod.uuid, pod.updatedAt);
        }
      }),
    );
  }
}
