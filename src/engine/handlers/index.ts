// The table of handlers: one per command and event, each in its own file. A command or event
// missing here is a compile error (the table is typed by the catalog's names).

import type { CommandName, CompiledCommandNode, CompiledEventNode, EventName } from '../scenario/index.js';
import { answer } from './answer.js';
import { disconnected, held, incoming, retrieved, ringing, timeoutEvent, transferred } from './call-events.js';
import type { NodeHandler } from './context.js';
import { earlyMedia, sessionProgress } from './early-media.js';
import { hold, retrieve } from './hold.js';
import { makeCall } from './make-call.js';
import { checkMedia, expectAudio } from './media-checks.js';
import { dtmfReceived, playAudio, sendDtmf } from './media-steps.js';
import { startRecordingStep, stopRecordingStep } from './recording-steps.js';
import { register, unregister } from './registration.js';
import { reject } from './reject.js';
import { release } from './release.js';
import { blindTransfer, muteTransfer } from './transfer.js';

/** The handler of every command and event. */
export const HANDLERS: { readonly [K in CommandName]: NodeHandler<CompiledCommandNode<K>> } & { readonly [K in EventName]: NodeHandler<CompiledEventNode<K>> } = {
  MakeCall: makeCall,
  Answer: answer,
  SessionProgress: sessionProgress,
  Release: release,
  PlayAudio: playAudio,
  SendDTMF: sendDtmf,
  Hold: hold,
  Retrieve: retrieve,
  BlindTransfer: blindTransfer,
  MuteTransfer: muteTransfer,
  Reject: reject,
  StartRecording: startRecordingStep,
  StopRecording: stopRecordingStep,
  CheckMedia: checkMedia,
  Register: register,
  Unregister: unregister,
  INCOMING: incoming,
  DISCONNECTED: disconnected,
  RINGING: ringing,
  EARLY_MEDIA: earlyMedia,
  TIMEOUT: timeoutEvent,
  DTMFReceived: dtmfReceived,
  ExpectAudio: expectAudio,
  HELD: held,
  RETRIEVED: retrieved,
  TRANSFERRED: transferred,
};
