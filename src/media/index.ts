// The media layer: RTP sessions over node:dgram, G.711, WAV playback and recording, RFC 4733 DTMF,
// RTCP reports, call quality (the G.107 E-model, loss burstiness, media limits) and audio analysis
// (in-band DTMF, tones, levels, reference prompts).

export { MediaSession } from './media-session.js';
export type { MediaSessionOptions, MediaPacket, MediaParameters, MediaStats, MediaSessionEvents, DtmfEvent } from './media-types.js';
export { type PlaybackResult } from './playback.js';
export { MediaError, type MediaErrorCode } from './errors.js';
export { bindRtpPair, DEFAULT_PORT_RANGE, type PortRange, type RtpSocketPair } from './rtp-socket.js';
export { Ticker, tickerFor, type TickListener } from './ticker.js';
export {
  G711_PTIME_MS,
  G711_FRAME_SAMPLES,
  linearToMuLaw,
  muLawToLinear,
  linearToALaw,
  aLawToLinear,
  encodeMuLaw,
  decodeMuLaw,
  encodeALaw,
  decodeALaw,
  PCMU,
  PCMA,
  codecFor,
  type G711Codec,
} from './g711.js';
export { parseWav, readWavFile, toTelephony, encodeWav, WavWriter, WavError, type WavAudio, type WavErrorCode, type WavErrorDetails, type ParseWavOptions, type WavWriterOptions } from './wav.js';
export { resample, Resampler, resamplerFor, RESAMPLER_STOPBAND_DB, type ResampleResult } from './resample.js';
export { encodeRtp, decodeRtp, RtpError, seqDelta, seqAdd, seqNewer, tsDelta, tsAdd, tsNewer, RTP_HEADER_LENGTH, rtpEncodedLength, type RtpPacket, type RtpErrorCode, type RtpHeaderExtension } from './rtp-packet.js';
export { encodeRtcpCompound, encodeRtcpPacket, decodeRtcpCompound } from './rtcp-codec.js';
export {
  RtcpError,
  RTCP_PT,
  SDES_ITEM,
  ntpFromUnixMs,
  ntpToUnixMs,
  ntpMiddle32,
  dlsrFromMs,
  roundTripMs,
  type RtcpPacket,
  type RtcpReportBlock,
  type RtcpSenderReport,
  type RtcpReceiverReport,
  type RtcpSourceDescription,
  type RtcpBye,
  type RtcpApp,
  type RtcpUnknown,
  type RtcpErrorCode,
  type SdesItem,
  type NtpTimestamp,
} from './rtcp-packet.js';
export { ReceptionStats, SendStats, type ReceptionVerdict, type ReceptionStatsOptions } from './rtp-stats.js';
export {
  planDigits,
  DtmfSender,
  DtmfError,
  type DtmfErrorCode,
  encodeTelephoneEvent,
  decodeTelephoneEvent,
  digitToEvent,
  eventToDigit,
  type DtmfDigit,
  type DtmfPlanOptions,
  type DtmfPlannedPacket,
  type TelephoneEvent,
} from './dtmf.js';
export { DtmfReceiver, type ReceivedDigit, type TelephoneEventArrival, type DtmfReceiverOptions } from './dtmf-receiver.js';
// quality
export {
  eModel,
  mosFromR,
  categoryOf,
  QualityError,
  G107_DEFAULTS,
  CODEC_IMPAIRMENTS,
  MAX_DELAY_MS,
  type QualityErrorCode,
  type EModelInput,
  type EModelResult,
  type QualityCategory,
} from './quality/e-model.js';
export { BurstEstimator, burstRatioOf, markovBurstRatio, lossPattern, type LossPattern } from './quality/burst.js';
export {
  assessQuality,
  checkMediaLimits,
  jitterBufferMs,
  PACKETISATION_DELAY_MS,
  MIN_JITTER_BUFFER_MS,
  DEFAULT_NETWORK_DELAY_MS,
  type AssessOptions,
  type MediaMeasurement,
  type QualityAssessment,
  type MediaLimits,
  type MediaCheck,
  type MediaCheckResult,
} from './quality/quality.js';
// audio analysis: in-band DTMF, tones and levels, the ExpectAudio matcher
export * from './analysis/index.js';
