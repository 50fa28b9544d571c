/** RFC 9110 `token`: header field names, and cookie names (RFC 6265 uses the same rule). */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
