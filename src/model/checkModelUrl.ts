import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';

/** Which model URLs the pool will fetch. */
export interface UrlPolicy {
  /** Allow `data:` URLs (off by default: they let any page-supplied string become a model). */
  allowDataUrls: boolean;
}

const FETCHABLE = ['https:', 'http:', 'blob:'];

/**
 * Refuses model URLs that should never be fetched: `javascript:` and `file:` and other schemes,
 * `data:` unless allowed, and URLs with embedded credentials (they would leak into logs and
 * error messages). Throws `INVALID_INPUT` with code `URL_REFUSED`.
 */
export function checkModelUrl(url: URL, policy: UrlPolicy): void {
  if (url.username !== '' || url.password !== '') {
    throw refused('a model URL must not embed credentials; send them as headers through options.fetch');
  }
  if (url.protocol === 'data:') {
    if (policy.allowDataUrls) return;
    throw refused('data: model URLs are refused unless options.allowDataUrls is true');
  }
  if (!FETCHABLE.includes(url.protocol)) {
    throw refused(`model URLs must be ${FETCHABLE.join(', ')}; got ${url.protocol}`);
  }
}

function refused(message: string): AccelError {
  return new AccelError(message, {
    category: ErrorCategory.INVALID_INPUT,
    code: 'URL_REFUSED',
  });
}
