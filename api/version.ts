// The version the daemon and the CLI report (kept equal to package.json's by a unit test).
export const VERSION = "0.1.0";
