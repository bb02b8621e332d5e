// The Linux pod network: host bridge, per-pod namespace and veth pair, and the address probe. Effects.
export * from "./names.js";
export { bridgeAddress, ensureBridge, removeBridge, type BridgeState } from "./bridge.js";
export { listPodNetworks, setupPodNetwork, teardownPodNetwork, type PodNetwork, type PodNetworkRequest } from "./pod-network.js";
export { addressAnswers, type ProbeOptions } from "./probe.js";
