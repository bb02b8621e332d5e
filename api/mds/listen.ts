// Puts the metadata service on the pod network: it listens on the gateway address, which the host bridge
// holds, so only pods (and the host) can reach it.
import type { AddressInfo } from "node:net";
import { fail } from "../../machines/errors.js";
import { buildMetadataService, type MdsDeps } from "./app.js";

export interface MetadataListenOptions {
  /** The pod network's gateway address (`Pool.gateway`, e.g. `172.29.0.1`). */
  host: string;
  /** The port in pods' AC_METADATA_URL (`DEFAULT_METADATA_PORT`, or `--metadata-port`); 0 picks a free one. */
  port: number;
  /**
   * Runs before listening: the address must exist on the host first, so the daemon passes
   * `() => ensureBridge({ pool, bridge })` (workers/host/network). The API does not touch the host itself.
   */
  beforeListen?: () => Promise<unknown>;
}

export interface RunningMetadataService {
  /** Stops taking requests and closes open connections. */
  close(): Promise<void>;
  /** Where it listens, `host:port`. */
  address: string;
}

/**
 * Starts the metadata service on `host:port`. Throws unavailable JP_ERR_MDS_ADDRESS_UNAVAILABLE when the
 * host does not hold the address (no bridge), conflict JP_ERR_MDS_PORT_IN_USE when the port is taken.
 */
export async function startMetadataService(deps: MdsDeps, opts: MetadataListenOptions): Promise<RunningMetadataService> {
  await opts.beforeListen?.();
  const app = buildMetadataService(deps);
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await app.close().catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    const where = `${opts.host}:${opts.port}`;
    if (code === "EADDRNOTAVAIL") {
      throw fail("unavailable", "JP_ERR_MDS_ADDRESS_UNAVAILABLE", `the metadata service cannot listen on ${where}: no interface of this host holds ${opts.host}`, {
        hint: "the pod network's bridge must exist and hold the gateway address before the service starts (ensureBridge)",
      });
    }
    if (code === "EADDRINUSE") {
      throw fail("conflict", "JP_ERR_MDS_PORT_IN_USE", `the metadata service cannot listen on ${where}: the port is in use`, {
        hint: "stop what listens there, or give the daemon another --metadata-port",
      });
    }
    throw err;
  }
  const bound = app.server.address() as AddressInfo;
  return {
    address: `${bound.address}:${bound.port}`,
    close: () => app.close(),
  };
}
