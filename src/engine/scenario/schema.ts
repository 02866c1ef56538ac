// JSON Schemas (draft 2020-12) for both scenario formats, built from the catalog the validator
// uses, so they cannot drift from it; schema/*.json are these, written by `npm run schema`, and a
// test fails when the committed files differ. Editors complete and check a file that names its
// `$schema`. What a schema cannot see (targets, DNs, loops, files) only `sipflow validate` checks.

import {
  COMMANDS,
  COMMON_STEP_FIELDS,
  EVENTS,
  INSTANCE_FIELDS,
  KNOWN_CODECS,
  MAX_TIMEOUT_MS,
  SIPFLOW_UI_INSTANCE_KEYS,
  type FieldSpec,
  type StepSpec,
} from './catalog.js';
import { COMPACT_FORMAT_VERSION } from './compact-format.js';

/** A JSON Schema document or subschema, as plain data. */
export type JsonSchema = Record<string, unknown>;
type Schema = JsonSchema;

const PLACEHOLDER = '\\$\\{[^}]*\\}';
const placeholderOnly: Schema = { type: 'string', pattern: `^${PLACEHOLDER}$`, description: 'A ${NAME} placeholder filled when the scenario is loaded.' };
const USER_CHARS = "[A-Za-z0-9\\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2}";
const ONE_LINE = '^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f]*$';
const NOT_BLANK = '\\S';
/** A port 1–65535 in decimal digits. */
const PORT_DIGITS = '0*(?:6553[0-5]|655[0-2]\\d|65[0-4]\\d{2}|6[0-4]\\d{3}|[1-5]\\d{4}|[1-9]\\d{0,3})';

/** The schema of one field's value. */
function fieldSchema(name: string, spec: FieldSpec, format: 'compact' | 'sipflow', step?: StepSpec): Schema {
  const doc = { description: spec.doc };
  const kind = format === 'sipflow' && spec.sipflowKind !== undefined ? spec.sipflowKind : spec.kind;
  let schema: Schema;
  switch (kind) {
    case 'string': {
      schema = { type: 'string', ...doc };
      const pattern = spec.values !== undefined ? `^(?:${spec.values.map(escapeRegExp).join('|')}|${PLACEHOLDER})$` : stringPattern(spec);
      if (pattern !== undefined) schema['pattern'] = pattern;
      else if (spec.required) schema['pattern'] = NOT_BLANK;
      if (name === 'pbxPort') schema['pattern'] = `^\\s*(?:${PORT_DIGITS})?\\s*$`;
      return schema;
    }
    case 'boolean':
      schema = { type: 'boolean', ...doc };
      break;
    case 'number': {
      schema = { type: spec.integer ? 'integer' : 'number', ...doc };
      if (spec.min !== undefined) schema['minimum'] = spec.min;
      if (spec.max !== undefined) schema['maximum'] = spec.max;
      if (name === 'timeout') {
        schema['maximum'] = MAX_TIMEOUT_MS;
        if (step?.timeout.nonPositive === 'error') schema['minimum'] = 1;
        if (step?.timeout.doc !== undefined) schema['description'] = step.timeout.doc;
      }
      break;
    }
    case 'string-list':
      schema = {
        type: 'array',
        ...doc,
        ...(format === 'compact' ? { minItems: 1 } : {}),
        items: name === 'codecs' && format === 'compact' ? { anyOf: [{ enum: [...KNOWN_CODECS] }, placeholderOnly] } : { type: 'string' },
      };
      return schema;
    case 'port':
      return { ...doc, anyOf: [{ type: 'integer', minimum: 1, maximum: 65_535 }, { type: 'string', pattern: `^\\s*${PORT_DIGITS}\\s*$` }, placeholderOnly] };
    case 'port-range': {
      const port = { anyOf: [{ type: 'integer', minimum: 1, maximum: 65_535 }, placeholderOnly] };
      schema = { type: 'object', ...doc, required: ['min', 'max'], additionalProperties: false, properties: { min: port, max: port } };
      break;
    }
  }
  return format === 'compact' ? { ...doc, anyOf: [withoutDoc(schema), placeholderOnly] } : schema;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function withoutDoc(schema: Schema): Schema {
  const { description: _drop, ...rest } = schema;
  return rest;
}

/** A pattern for a string field with a check that a pattern can express (placeholders allowed). */
function stringPattern(spec: FieldSpec): string | undefined {
  switch (spec.check) {
    case 'dtmf-digits':
      return `^(?:[0-9*#A-D]|${PLACEHOLDER})+$`;
    case 'dtmf-digit':
      return `^(?:[0-9*#A-D]|${PLACEHOLDER})?$`;
    case 'user':
      return `^\\s*(?:${USER_CHARS}|${PLACEHOLDER})*\\s*$`;
    case 'reason':
      return ONE_LINE;
    case 'transport':
      return `^\\s*(?:[Uu][Dd][Pp]|${PLACEHOLDER})?\\s*$`;
    default:
      return undefined;
  }
}

function properties(specs: Readonly<Record<string, FieldSpec>>, format: 'compact' | 'sipflow', step?: StepSpec): Record<string, Schema> {
  return Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, fieldSchema(name, spec, format, step)]));
}

/** Rules between fields of a step that a schema can say. */
function crossFieldRules(name: string): Schema[] {
  const present = (field: string): Schema => ({ type: 'object', required: [field], properties: { [field]: { type: 'string', pattern: NOT_BLANK } } });
  switch (name) {
    case 'BlindTransfer':
      return [{ anyOf: [present('targetUri'), { allOf: [present('targetUser'), present('targetHost')] }] }];
    case 'DTMFReceived':
      return [{ not: { allOf: [present('expectedDigits'), { type: 'object', required: ['expectedDigit'], properties: { expectedDigit: { type: 'string', minLength: 1 } } }] } }];
    case 'ExpectAudio': {
      // expect tone needs frequencyHz; expect file needs filePath.
      const needs = (expect: string, field: string): Schema => ({
        anyOf: [{ not: { type: 'object', required: ['expect'], properties: { expect: { const: expect } } } }, { type: 'object', required: [field] }],
      });
      return [needs('tone', 'frequencyHz'), needs('file', 'filePath')];
    }
    default:
      return [];
  }
}

function requiredFields(spec: StepSpec): string[] {
  return Object.entries(spec.fields)
    .filter(([, f]) => (f as FieldSpec).required)
    .map(([n]) => n);
}

/** The JSON Schema of the compact format. */
export function compactScenarioSchema(): JsonSchema {
  const stepRef = { $ref: '#/$defs/step' };
  const common = (spec: StepSpec): Record<string, Schema> => ({
    id: { type: 'string', pattern: NOT_BLANK, description: 'The step id, for next, onFailure and reports; derived from the step path (alice.steps[2]) when left out.' },
    ...properties(COMMON_STEP_FIELDS, 'compact', spec),
    next: { type: 'string', minLength: 1, description: 'The id of the step to go to when this one succeeds, instead of the following one.' },
    onFailure: {
      description: 'What to do when this step fails: a list of steps, or the id of a step. Without it a failure fails the run.',
      anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: stepRef }],
    },
  });
  const stepDefs: Record<string, Schema> = {};
  for (const [kind, table] of [
    ['command', COMMANDS],
    ['event', EVENTS],
  ] as const) {
    for (const [name, spec] of Object.entries(table) as [string, StepSpec][]) {
      const rules = crossFieldRules(name);
      stepDefs[`${kind}.${name}`] = {
        type: 'object',
        description: spec.doc,
        required: [kind, ...requiredFields(spec)],
        additionalProperties: false,
        properties: { [kind]: { const: name }, ...common(spec), ...properties(spec.fields, 'compact', spec) },
        ...(rules.length > 0 ? { allOf: rules } : {}),
      };
    }
  }
  const shorthand = [...Object.entries(COMMANDS), ...Object.entries(EVENTS)]
    .filter(([, spec]) => requiredFields(spec as StepSpec).length === 0)
    .map(([name]) => name);
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'sipflow scenario (compact format)',
    description: 'SIP instances by name, each with its settings and an ordered list of steps (commands and events); the next step is the success path. See docs/scenarios.md.',
    type: 'object',
    required: ['instances'],
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      name: { type: 'string', description: 'A name for the scenario, shown in reports.' },
      description: { type: 'string' },
      version: { const: COMPACT_FORMAT_VERSION, description: 'The format version.' },
      instances: {
        type: 'object',
        description: 'The SIP instances (user agents) by name.',
        minProperties: 1,
        propertyNames: { pattern: NOT_BLANK },
        additionalProperties: { $ref: '#/$defs/instance' },
      },
    },
    $defs: {
      instance: {
        type: 'object',
        description: 'A SIP user agent: its settings, and its steps (or several chains that start together).',
        additionalProperties: false,
        properties: {
          ...properties(INSTANCE_FIELDS, 'compact'),
          steps: { type: 'array', items: stepRef, description: 'Its chain of steps; each step success leads to the next.' },
          chains: {
            type: 'array',
            description: 'Several chains that start together; a chain is a list of steps or the id of a step to start at.',
            items: { anyOf: [{ type: 'array', minItems: 1, items: stepRef }, { type: 'string', minLength: 1 }] },
          },
        },
        not: { required: ['steps', 'chains'] },
      },
      step: {
        description: 'A command or event: an object, or just the name of one that needs no fields.',
        anyOf: [{ enum: shorthand }, ...Object.keys(stepDefs).map((k) => ({ $ref: `#/$defs/${k}` }))],
      },
      ...stepDefs,
    },
  };
}

/** The JSON Schema of sipflow flow JSON (the desktop app's format, with our additions). */
export function sipflowFlowSchema(): JsonSchema {
  const dataOf = (kind: 'command' | 'event', name: string, spec: StepSpec): Schema => {
    const rules = crossFieldRules(name);
    return {
      if: { type: 'object', properties: { type: { const: kind }, data: { type: 'object', properties: { [kind]: { const: name } }, required: [kind] } }, required: ['type', 'data'] },
      then: {
        properties: {
          data: {
            type: 'object',
            description: spec.doc,
            required: requiredFields(spec),
            properties: { ...properties(COMMON_STEP_FIELDS, 'sipflow', spec), ...properties(spec.fields, 'sipflow', spec) },
            ...(rules.length > 0 ? { allOf: rules } : {}),
          },
        },
      },
    };
  };
  const rules: Schema[] = [
    {
      if: { type: 'object', properties: { type: { const: 'sipInstance' } }, required: ['type'] },
      then: {
        properties: {
          data: {
            type: 'object',
            properties: {
              ...properties(INSTANCE_FIELDS, 'sipflow'),
              ...Object.fromEntries(SIPFLOW_UI_INSTANCE_KEYS.map((k) => [k, { description: 'Kept by the desktop app for its own use; no effect.' }])),
            },
          },
        },
      },
    },
    {
      if: { type: 'object', properties: { type: { const: 'command' } }, required: ['type'] },
      then: {
        required: ['data'],
        properties: {
          data: {
            type: 'object',
            required: ['command'],
            properties: {
              command: { enum: Object.keys(COMMANDS), description: 'The command.' },
              sipInstanceId: { type: 'string', description: 'The id of the sipInstance node the command runs on; a node started directly by an instance edge may leave it out.' },
              transferTarget: { type: 'string', description: 'Legacy; not used.' },
            },
          },
        },
      },
    },
    {
      if: { type: 'object', properties: { type: { const: 'event' } }, required: ['type'] },
      then: {
        required: ['data'],
        properties: {
          data: {
            type: 'object',
            required: ['event'],
            properties: {
              event: { enum: Object.keys(EVENTS), description: 'The event.' },
              sipInstanceId: { type: 'string', description: 'The id of the sipInstance node the event is awaited on.' },
              number: { type: 'string', description: 'INCOMING only: the DN of the instance, used when sipInstanceId is empty. It does not filter calls.' },
            },
          },
        },
      },
    },
    ...Object.entries(COMMANDS).map(([name, spec]) => dataOf('command', name, spec)),
    ...Object.entries(EVENTS).map(([name, spec]) => dataOf('event', name, spec)),
  ];
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'sipflow flow JSON',
    description: 'A scenario as the sipflow desktop app saves it: nodes (sipInstance, command, event) and the edges between them. See docs/scenarios.md.',
    type: 'object',
    properties: {
      $schema: { type: 'string' },
      name: { type: 'string', description: 'A name for the scenario (ours; the desktop app keeps it elsewhere).' },
      description: { type: 'string' },
      nodes: { type: ['array', 'null'], items: { $ref: '#/$defs/node' } },
      edges: { type: ['array', 'null'], items: { $ref: '#/$defs/edge' } },
    },
    $defs: {
      node: {
        type: 'object',
        required: ['id', 'type'],
        properties: {
          id: { type: 'string', minLength: 1 },
          type: { type: 'string', description: 'sipInstance, command or event; nodes of other types are ignored.' },
          data: { type: ['object', 'null'] },
          position: { type: 'object', description: 'Where the desktop app draws the node.' },
        },
        allOf: rules,
      },
      edge: {
        type: 'object',
        required: ['source', 'target'],
        properties: {
          id: { type: 'string' },
          source: { type: 'string', description: 'The node the edge leaves: a sipInstance (the target starts a chain) or a command or event.' },
          target: { type: 'string', description: 'A command or event node.' },
          sourceHandle: { type: ['string', 'null'], description: '"failure" makes this the failure edge of its source.' },
          data: {
            type: ['object', 'null'],
            properties: {
              branchType: { enum: ['success', 'failure'], description: 'failure: taken when the source fails.' },
              condition: { type: 'string', description: 'Not evaluated.' },
            },
          },
        },
      },
    },
  };
}
