// Resource isolators on Linux through cgroups (v1 and v2): detection, the pure planner, and its effects.
export { CGROUP_ROOT, cgroupHostFrom, detectCgroups, parseCgroupMounts, type CgroupHost, type CgroupVersion, type MountEntry } from "./detect.js";
export {
  CPU_PERIOD_US,
  cpuQuotaUs,
  cpuShares,
  cpuWeight,
  JETPACK_CGROUP,
  planPodCgroups,
  podCgroupDirs,
  type CgroupPlan,
  type CgroupPodInput,
  type CgroupWrite,
  type IsolatorEntry,
} from "./plan.js";
export { createPodCgroups, removePodCgroups } from "./apply.js";
