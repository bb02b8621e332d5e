// Pods, the pure core: reification of a template, the planner, and the run spec the backends render.
export * from "./run-spec.js";
export * from "./reify.js";
export * from "./plan.js";
