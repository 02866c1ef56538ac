/**
 * sipflow's public entry point.
 *
 * The message layer is available now: {@link parseMessage}, {@link serializeMessage},
 * {@link createRequest}, {@link createResponse} and the message, URI and header classes.
 * @packageDocumentation
 */
export * from '../sip/parser/index.js';
