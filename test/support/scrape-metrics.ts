// Reads a Prometheus text exposition with parse-prometheus-text-format, as a scraper would, into samples a test can
// query by name and labels. The parser folds a labelled histogram's series into one unlabelled entry, so histograms
// are read a second time with their TYPE lines removed: their _bucket, _sum and _count series then come as samples.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One sample: its series name, labels and value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed exposition. */
export interface Scrape {
  text: string;
  /** Family name -> its type (COUNTER, GAUGE, HISTOGRAM...). */
  types: Map<string, string>;
  samples: Sample[];
  /** The sum of the samples named `name` whose labels include `labels`. */
  total(name: string, labels?: Record<string, string>): number;
  /** The samples named `name` whose labels include `labels`. */
  find(name: string, labels?: Record<string, string>): Sample[];
}

/** Parses `text`; throws when the parser does. */
export function parseScrape(text: string): Scrape {
  const families = parsePrometheusTextFormat(text);
  const types = new Map(families.map((family) => [family.name, family.type]));
  const histograms = new Set(families.filter((family) => family.type === 'HISTOGRAM').map((family) => family.name));
  const samples: Sample[] = [];
  for (const family of families) {
    if (family.type === 'HISTOGRAM') continue;
    for (const sample of family.metrics) samples.push({ name: family.name, labels: sample.labels ?? {}, value: Number(sample.value) });
  }
  const flat = text
    .split('\n')
    .filter((line) => !line.startsWith('#') && histograms.has(line.replace(/(_bucket|_sum|_count)?[{ ].*$/, '')))
    .join('\n');
  // The parser ends its last family at a line end: the text must end with one.
  for (const family of parsePrometheusTextFormat(`${flat}\n`)) {
    for (const sample of family.metrics) samples.push({ name: family.name, labels: sample.labels ?? {}, value: Number(sample.value) });
  }
  const find = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  return { text, types, samples, find, total: (name, labels) => find(name, labels).reduce((sum, sample) => sum + sample.value, 0) };
}

/** GETs `url` (with a bearer key when given) and parses the answer; throws unless it is a 200. */
export async function scrapeMetrics(url: string, key?: string): Promise<Scrape> {
  const response = await fetch(url, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${text.slice(0, 200)}`);
  return parseScrape(text);
}
