export declare function startAuthProxy(targetUrl: string, bearer: string): Promise<{ url: string; close(): Promise<void> }>;
