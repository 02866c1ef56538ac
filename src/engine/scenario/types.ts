// TypeScript types derived from the catalog: the fields of each command and event as an author
// writes them (for defineScenario and the compact format) and as the compiled graph holds them
// (defaults applied). A misspelt command, event or field is a compile error; editors complete them.

import type { COMMANDS, COMMON_STEP_FIELDS, EVENTS, FieldKind, INSTANCE_FIELDS, CommandName, EventName } from './catalog.js';

/** The TypeScript type of a field kind as an author writes it. */
export type KindValue<K extends FieldKind> = K extends 'string'
  ? string
  : K extends 'boolean'
    ? boolean
    : K extends 'number'
      ? number
      : K extends 'string-list'
        ? readonly string[]
        : K extends 'port'
          ? number | string
          : K extends 'port-range'
            ? { readonly min: number; readonly max: number }
            : never;

/** The shape of a field spec that the derived types read. */
export type Spec = { readonly kind: FieldKind; readonly required?: boolean; readonly default?: unknown; readonly values?: readonly string[] };
/** The TypeScript type of a field: its enumeration when it has one, else its kind's type. */
export type SpecValue<S extends Spec> = S extends { readonly values: readonly (infer V)[] } ? V : KindValue<S['kind']>;
/** The keys of a spec table whose fields are required. */
export type RequiredKeys<F> = { [K in keyof F]: F[K] extends { required: true } ? K : never }[keyof F];
/** The keys of a spec table whose fields are optional. */
export type OptionalKeys<F> = Exclude<keyof F, RequiredKeys<F>>;
/** An intersection flattened into one object type (what editors show). */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The fields of a spec table as an author writes them: required ones required, the others optional. */
export type AuthoredFields<F> = Simplify<
  { readonly [K in RequiredKeys<F>]: F[K] extends Spec ? SpecValue<F[K]> : never } & {
    readonly [K in OptionalKeys<F>]?: F[K] extends Spec ? SpecValue<F[K]> : never;
  }
>;

/** The fields of a spec table with defaults applied: a field without default may be `undefined`. */
export type ResolvedFields<F> = Simplify<{
  readonly [K in keyof F]: F[K] extends Spec
    ? F[K] extends { required: true } | { default: unknown }
      ? SpecValue<F[K]>
      : SpecValue<F[K]> | undefined
    : never;
}>;

/** Fields every compact step may carry besides its command's or event's own. */
export interface CompactStepCommon {
  /** The step's id, for `next` and `onFailure` of other steps and in reports; derived from its path when left out. */
  readonly id?: string;
  /** The id of the step to go to when this one succeeds, instead of the following one. */
  readonly next?: string;
  /** What to do when this step fails: a list of steps, or the id of a step. Without it a failure fails the run. */
  readonly onFailure?: readonly CompactStep[] | string;
}

/** The common step fields (callId, timeout, label) as an author writes them. */
export type CommonFields = AuthoredFields<typeof COMMON_STEP_FIELDS>;

/** A compact step running the command `K`. */
export type CompactCommandStep<K extends CommandName = CommandName> = K extends CommandName
  ? Simplify<{ readonly command: K; readonly event?: never } & CompactStepCommon & CommonFields & AuthoredFields<(typeof COMMANDS)[K]['fields']>>
  : never;

/** A compact step waiting for the event `K`. */
export type CompactEventStep<K extends EventName = EventName> = K extends EventName
  ? Simplify<{ readonly event: K; readonly command?: never } & CompactStepCommon & CommonFields & AuthoredFields<(typeof EVENTS)[K]['fields']>>
  : never;

/** Command and event names that need no field, usable as a step on their own: `"Answer"`, `"INCOMING"`. */
export type ShorthandStep =
  | { [K in CommandName]: RequiredKeys<(typeof COMMANDS)[K]['fields']> extends never ? K : never }[CommandName]
  | { [K in EventName]: RequiredKeys<(typeof EVENTS)[K]['fields']> extends never ? K : never }[EventName];

/** One step of the compact format. */
export type CompactStep = CompactCommandStep | CompactEventStep | ShorthandStep;

/** An instance of the compact format: its settings and its steps (or several chains). */
export type CompactInstance = Simplify<
  AuthoredFields<typeof INSTANCE_FIELDS> & {
    /** Its chain of steps; each step's success leads to the next. */
    readonly steps?: readonly CompactStep[];
    /** Several chains that start together; a chain may be the id of a step to start at. */
    readonly chains?: readonly (readonly CompactStep[] | string)[];
  }
>;

/** A whole scenario in the compact format. */
export interface CompactScenario {
  /** The JSON Schema the file follows, for editors (ignored by sipflow). */
  readonly $schema?: string;
  readonly name?: string;
  readonly description?: string;
  /** The format version: 1. */
  readonly version?: 1;
  /** The instances by name. */
  readonly instances: Readonly<Record<string, CompactInstance>>;
}

/** The fields of a command or event in the compiled graph. */
export type CommandFields<K extends CommandName> = ResolvedFields<(typeof COMMANDS)[K]['fields']>;
/** The fields of an event in the compiled graph. */
export type EventFields<K extends EventName> = ResolvedFields<(typeof EVENTS)[K]['fields']>;
