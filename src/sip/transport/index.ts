// The transport layer: clock, transport contract, shared inbound processing.

export { type Clock, type TimerHandle, RealClock, sharedRealClock, VirtualClock } from './clock.js';
export { type Endpoint, type InboundMessage, type MalformedDatagram, postDatagram, type Transport, type TransportHandlers, TransportError, type TransportErrorKind } from './transport.js';
export { receiveDatagram, stampReceived, responseDestination, viaDestination, DEFAULT_SIP_PORT, type DatagramOutcome } from './inbound.js';
export { UdpTransport, type UdpTransportOptions } from './udp.js';
export { MemoryNetwork, type MemoryNetworkOptions, type MemoryTransport, type LinkConditions, type ResolvedLinkConditions, type DatagramFate, type DatagramRecord, type NetworkCounters } from './memory-network.js';
