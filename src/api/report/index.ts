// The reports, all drawn from recorded run events: the ladder model and its text drawing, the HTML
// report, JUnit XML, the pcap capture and the NDJSON event lines.

export { ScenarioRecorder, nodeHistories, recordingsOf, type RunRecording, type ScenarioRun, type ScenarioRunStatus, type RunFailure, type NodeHistory, type ScenarioRecorderOptions } from './scenario-run.js';
export { buildLadder, labelOf, sdpSummary, type Ladder, type LadderArrow, type LadderCall, type LadderColumn } from './ladder.js';
export { renderTextLadder, type TextLadderOptions } from './text-ladder.js';
export { renderHtmlReport, type HtmlReportOptions } from './html-report.js';
export { renderJunit, type JunitOptions } from './junit.js';
export { writePcap, capturedPackets, type CapturedPacket } from './pcap.js';
export { eventLine, notRunLine, EVENTS_SCHEMA_VERSION } from './ndjson.js';
