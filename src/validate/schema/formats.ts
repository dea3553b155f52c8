import { fullFormats } from 'ajv-formats/dist/formats.js';

/**
 * The string formats the Kubernetes API server checks in OpenAPI schemas (kube-openapi's strfmt registry),
 * with Go's meaning where it differs from JSON Schema's: `duration` is Go's `1h30m`, not ISO 8601, and
 * `uri` is Go's url.ParseRequestURI (an absolute URL or an absolute path). Formats Kubernetes ignores
 * (int32, int64, double, password...) are absent here and so ignored too.
 *
 * One object serves both compiling and running cached standalone validators, which look formats up by name.
 */
export const FORMATS = {
  'date-time': fullFormats['date-time'],
  date: fullFormats.date,
  duration: /^-?([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$|^0$/,
  uri: (value: string) => value.startsWith('/') || (URL.canParse(value) && /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(value)),
  email: fullFormats.email,
  hostname: fullFormats.hostname,
  ipv4: fullFormats.ipv4,
  ipv6: fullFormats.ipv6,
  uuid: fullFormats.uuid,
  byte: fullFormats.byte,
  cidr: (value: string) => {
    const [ip, bits, ...rest] = value.split('/');
    if (rest.length || bits === undefined || !/^[0-9]{1,3}$/.test(bits)) return false;
    const v4 = (fullFormats.ipv4 as RegExp).test(ip!);
    return (v4 && Number(bits) <= 32) || (!v4 && (fullFormats.ipv6 as RegExp).test(ip!) && Number(bits) <= 128);
  },
  mac: /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/,
} as Record<string, RegExp | ((value: string) => boolean)>;

/** Formats that appear in Kubernetes schemas and carry no check there. */
export const IGNORED_FORMATS = ['int32', 'int64', 'float', 'double', 'password', 'int-or-string', 'date-time-micro', 'quantity', 'binary'];
