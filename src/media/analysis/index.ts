// The audio analysis of received media: in-band DTMF (generator and Q.24 receiver), level and
// frequency of frames, and the ExpectAudio matcher (tone, silence, sound, reference prompt), with
// the spectral building blocks they share. Pure functions and classes over 8 kHz PCM; no I/O.

export * from './goertzel.js';
export * from './dtmf-inband.js';
export * from './tone.js';
export * from './audio-match.js';
