// Which nodes each instance's chains reach, in a fixed order, and the loops that have nothing to
// wait on. Iterative throughout: a 10,000-node chain must not overflow the stack.

import type { ScenarioModel, ScenarioNode } from './model.js';

/** The nodes each instance's chains reach. */
export interface Reachability {
  /** Per instance id, the nodes its chains reach in order: start by start, depth first, success before failure. */
  readonly byInstance: ReadonlyMap<string, readonly ScenarioNode[]>;
  /** Per node id, the instances whose chains reach it, in instance order. */
  readonly reachedBy: ReadonlyMap<string, readonly string[]>;
}

/** Walks every instance's chains (sipflow: every node reached from instance X runs on X). */
export function reachability(model: ScenarioModel): Reachability {
  const byId = nodeIndex(model);
  const byInstance = new Map<string, ScenarioNode[]>();
  const reachedBy = new Map<string, string[]>();
  for (const instance of model.instances) {
    const order: ScenarioNode[] = [];
    const seen = new Set<string>();
    for (const start of instance.starts) {
      const stack = [start];
      while (stack.length > 0) {
        const id = stack.pop()!;
        const node = byId.get(id);
        if (node === undefined || seen.has(id)) continue;
        seen.add(id);
        order.push(node);
        let list = reachedBy.get(id);
        if (list === undefined) reachedBy.set(id, (list = []));
        list.push(instance.id);
        if (node.failure !== undefined) stack.push(node.failure);
        if (node.success !== undefined) stack.push(node.success);
      }
    }
    byInstance.set(instance.id, order);
  }
  return { byInstance, reachedBy };
}

/** The nodes by id (the first of a duplicated id). */
export function nodeIndex(model: ScenarioModel): Map<string, ScenarioNode> {
  const byId = new Map<string, ScenarioNode>();
  for (const node of model.nodes) if (!byId.has(node.id)) byId.set(node.id, node);
  return byId;
}

/**
 * The loops made of commands only (no event, so nothing to wait on: it would spin), each as the
 * ids of its nodes in document order. Tarjan's strongly connected components over success and
 * failure edges between commands, without recursion.
 */
export function commandCycles(model: ScenarioModel): string[][] {
  const byId = nodeIndex(model);
  const commands = model.nodes.filter((n) => n.kind === 'command' && byId.get(n.id) === n);
  const successors = (n: ScenarioNode): string[] =>
    [n.success, n.failure].filter((id): id is string => id !== undefined && byId.get(id)?.kind === 'command');
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  for (const root of commands) {
    if (index.has(root.id)) continue;
    // Each frame: a node and the position in its successor list.
    const frames: { id: string; succ: string[]; i: number }[] = [];
    const open = (id: string): void => {
      index.set(id, counter);
      low.set(id, counter);
      counter++;
      stack.push(id);
      onStack.add(id);
      frames.push({ id, succ: successors(byId.get(id)!), i: 0 });
    };
    open(root.id);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      if (frame.i < frame.succ.length) {
        const next = frame.succ[frame.i++]!;
        if (!index.has(next)) open(next);
        else if (onStack.has(next)) low.set(frame.id, Math.min(low.get(frame.id)!, index.get(next)!));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let id: string;
        do {
          id = stack.pop()!;
          onStack.delete(id);
          component.push(id);
        } while (id !== frame.id);
        const node = byId.get(frame.id)!;
        if (component.length > 1 || node.success === node.id || node.failure === node.id) cycles.push(component);
      }
    }
  }
  const order = new Map(model.nodes.map((n, i) => [n.id, i]));
  for (const c of cycles) c.sort((a, b) => order.get(a)! - order.get(b)!);
  return cycles.sort((a, b) => order.get(a[0]!)! - order.get(b[0]!)!);
}
