// A small argv parser for the jetpack command. Pure.
//
// Each command declares its flags (boolean or taking a value, with short aliases); anything else that
// starts with `-` is refused, so a typo never turns silently into a positional argument. Values come as
// `--x=v` or `--x v`; repeated flags keep every value; `--` ends the flags; a lone `-` is a positional
// (it means stdin or stdout).
import { fail } from "../../machines/errors.js";

export interface FlagSpec {
  /** Flags that take no value (`--json`, `-q`). */
  boolean?: readonly string[];
  /** Flags that take a value (`--root DIR`, `--since=2h`). */
  value?: readonly string[];
  /** Short or alternative names: `{ q: "quiet", l: "long" }`. */
  alias?: Readonly<Record<string, string>>;
}

export interface ParsedArgs {
  positionals: string[];
  /** Every value given for each value flag, in order. */
  values: Map<string, string[]>;
  /** The boolean flags that were given. */
  booleans: Set<string>;
  /**
   * Value flags and positionals in the order given, for commands where a flag belongs to the argument
   * before it (`pod create IMAGE --app-name web IMAGE2 ...`).
   */
  sequence: Array<{ flag: string; value: string } | { positional: string }>;
  /** What came after `--` (also in positionals), or undefined when there was no `--`. */
  rest: string[] | undefined;
}

/** Pure. Merges flag specs (a command's own and the global ones). */
export function mergeSpecs(...specs: FlagSpec[]): FlagSpec {
  return {
    boolean: specs.flatMap((s) => s.boolean ?? []),
    value: specs.flatMap((s) => s.value ?? []),
    alias: Object.assign({}, ...specs.map((s) => s.alias ?? {})) as Record<string, string>,
  };
}

/** Pure. Parses `argv` by `spec`; throws `invalid` naming an unknown flag or a flag missing its value. */
export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const out: ParsedArgs = { positionals: [], values: new Map(), booleans: new Set(), sequence: [], rest: undefined };
  const canonical = (name: string) => spec.alias?.[name] ?? name;
  const isBoolean = (name: string) => spec.boolean?.includes(name) ?? false;
  const takesValue = (name: string) => spec.value?.includes(name) ?? false;
  const addValue = (name: string, v: string) => {
    out.values.set(name, [...(out.values.get(name) ?? []), v]);
    out.sequence.push({ flag: name, value: v });
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.rest = argv.slice(i + 1);
      out.positionals.push(...out.rest);
      break;
    }
    if (arg === "-" || !arg.startsWith("-")) {
      out.positionals.push(arg);
      out.sequence.push({ positional: arg });
      continue;
    }
    const long = arg.startsWith("--");
    const eq = arg.indexOf("=");
    const rawName = long ? arg.slice(2, eq === -1 ? undefined : eq) : arg.slice(1, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);

    // `-ql`: several short booleans at once.
    if (!long && inline === undefined && rawName.length > 1 && [...rawName].every((c) => isBoolean(canonical(c)))) {
      for (const c of rawName) out.booleans.add(canonical(c));
      continue;
    }
    const name = canonical(rawName);
    if (isBoolean(name)) {
      if (inline !== undefined) throw fail("invalid", "JP_ERR_CLI_FLAG", `flag ${shown(rawName)} takes no value, got ${arg}`);
      out.booleans.add(name);
    } else if (takesValue(name)) {
      if (inline !== undefined) addValue(name, inline);
      else if (i + 1 < argv.length) addValue(name, argv[++i]!);
      else throw fail("invalid", "JP_ERR_CLI_FLAG", `flag ${shown(rawName)} needs a value`, { hint: `write ${shown(rawName)}=VALUE` });
    } else {
      throw fail("invalid", "JP_ERR_CLI_FLAG", `unknown flag ${shown(rawName)}`, { hint: "see `jetpack help` and the usage of the command" });
    }
  }
  return out;
}

function shown(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/** Pure. The last value given for a value flag (a later flag overrides an earlier one), if any. */
export function lastValue(args: ParsedArgs, name: string): string | undefined {
  return args.values.get(name)?.at(-1);
}

/** Pure. Every value given for a flag, with comma-separated lists split (`--x=a,b --x c` is a, b, c). */
export function listValues(args: ParsedArgs, name: string): string[] {
  return (args.values.get(name) ?? []).flatMap((v) => v.split(",")).filter((v) => v !== "");
}

/** Pure. The positionals, checked against how many the command takes; throws `invalid` with its usage line. */
export function expectPositionals(args: ParsedArgs, names: readonly string[], usage: string): string[] {
  if (args.positionals.length < names.length) {
    throw fail("invalid", "JP_ERR_CLI_ARGS", `missing ${names.slice(args.positionals.length).join(" ")}`, { hint: `usage: ${usage}` });
  }
  if (args.positionals.length > names.length) {
    throw fail("invalid", "JP_ERR_CLI_ARGS", `unexpected argument ${args.positionals[names.length]}`, { hint: `usage: ${usage}` });
  }
  return args.positionals;
}

/** Pure. A value flag read as a whole number >= min; throws `invalid` naming the flag otherwise. */
export function intValue(args: ParsedArgs, name: string, min: number): number | undefined {
  const raw = lastValue(args, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min) {
    throw fail("invalid", "JP_ERR_CLI_FLAG", `--${name} must be a whole number of at least ${min}, got ${raw}`);
  }
  return n;
}
