export { ReportParseError } from './errors.js';
export * from './schema.js';
export { parseJUnitXml } from './junit.js';
export { parseJestJson } from './jest-json.js';
export { parseGoTestJson } from './go-test-json.js';
export { parseLcov, parseGoCoverProfile } from './coverage-text.js';
export { parseIstanbulJson, parseCoveragePy } from './coverage-json.js';
export { parseCobertura, parseJacoco } from './coverage-xml.js';
export {
  parseTestReport,
  parseCoverage,
  detectTestReportFormat,
  detectCoverageFormat,
  type TestReportFormat,
} from './detect.js';
