// Validates an AsyncAPI document with the AsyncAPI project's own parser
// (@asyncapi/parser, with the Avro schema parser so that the referenced
// schemas/*.avsc are parsed too). Prints every diagnostic; exits 1 when any
// has severity error (0), or when the document cannot be parsed at all.
//
//   npm ci --ignore-scripts && node validate.mjs ../../docs/asyncapi.yaml
import { Parser, fromFile } from '@asyncapi/parser';
import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.resolve(process.argv[2] ?? path.join(here, '../../docs/asyncapi.yaml'));

const parser = new Parser();
parser.registerSchemaParser(AvroSchemaParser());

const { document, diagnostics } = await fromFile(parser, file).parse();
const names = ['error', 'warning', 'information', 'hint'];
let errors = 0;
for (const d of diagnostics) {
  if (d.severity === 0) errors++;
  const where = d.path && d.path.length ? d.path.join('.') : '(document)';
  console.log(`${names[d.severity] ?? d.severity}\t${d.code}\t${where}\t${d.message}`);
}
if (!document || errors > 0) {
  console.error(`${file}: ${errors} error(s)${document ? '' : ', not parsed'}`);
  process.exit(1);
}
const channels = document.channels().all().map((c) => c.address());
console.log(`${file}: valid AsyncAPI ${document.version()}, ${channels.length} channels: ${channels.join(', ')}`);
