// Register and Unregister (ours): explicit registration steps in PBX mode, so a registrar itself
// can be tested (a wrong password fails the node with the registrar's status).

import type { CompiledCommandNode } from '../scenario/index.js';
import type { NodeContext } from './context.js';

export async function register(ctx: NodeContext<CompiledCommandNode<'Register'>>): Promise<void> {
  const { instance, node } = ctx;
  ctx.waitingFor = 'the registrar';
  const granted = await ctx.race(instance.register(node.fields.expires ?? instance.spec.registerIntervalSeconds));
  ctx.log(`Registered DN ${instance.spec.dn} (expires ${granted} s)`, { sipMessage: { direction: 'sent', method: 'REGISTER', responseCode: 200, from: instance.spec.user, to: instance.spec.user } });
}

export async function unregister(ctx: NodeContext<CompiledCommandNode<'Unregister'>>): Promise<void> {
  const { instance } = ctx;
  ctx.waitingFor = 'the registrar';
  await ctx.race(instance.unregister());
  ctx.log(`Unregistered DN ${instance.spec.dn}`, { sipMessage: { direction: 'sent', method: 'REGISTER', responseCode: 200, from: instance.spec.user, to: instance.spec.user, note: 'expires=0' } });
}
