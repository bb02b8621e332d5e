// The FreeBSD jail backend's pure core: jail.conf and fstab renderers, argv builders and the jls parser.
// The effectful side (writing the files, running the argv through workers/host/exec.ts) builds on these.
export {
  JailBackendConfigSchema,
  DEFAULT_JAIL_CONF,
  JAIL_CONF_ANNOTATION_PREFIX,
  parseJailBackendConfig,
  annotationJailParams,
  jailConfParams,
  quoteJailConfString,
  renderJailConf,
  type JailBackendConfig,
} from "./render-conf.js";
export {
  DEVFS_RULESET_ANNOTATION,
  DEFAULT_DEVFS_RULESET,
  devfsRuleset,
  escapeFstabField,
  fstabLines,
  fstabPath,
  renderFstab,
  volumeDir,
  type FstabLine,
} from "./render-fstab.js";
export {
  JAIL_COMMAND,
  JLS_COMMAND,
  appExecArgv,
  checkNamePrefix,
  jailConfPath,
  jailCreateArgv,
  jailName,
  jailRemoveArgv,
  jailStatusArgv,
  parseJls,
  podJailCommands,
  stage2Argv,
  type JailState,
  type PodJailCommands,
  type ResolvedIds,
  type Stage2Command,
} from "./commands.js";
