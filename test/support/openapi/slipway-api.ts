// Made by openapi-typescript from /api/v1/openapi.json: see api-contract.test.ts.
export interface paths {
  '/apps/{app}/deploys/{id}/log': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A deploy’s log as server-sent events: `line` events (data: the line as a JSON string), then `end` (data: {ok, message}); each has an id, and Last-Event-ID resumes after it */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The log */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'text/event-stream': string;
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/events': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Changes of the apps the token may use, as server-sent events: `snapshot` (data: every app’s summary) at connect, then `app` (data: one app’s new summary), `app-removed` (data: {name}) and `event` (data: one of the platform’s events about those apps, as webhooks get it: {type, id, at, app, …}); a reconnect starts with a fresh snapshot */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The events */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'text/event-stream': string;
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/commands': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Run any Slipway command as over SSH; its output streams as NDJSON lines {stream, line}, then {exit} */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            command: string[];
            stdin?: string;
          };
        };
      };
      responses: {
        /** @description The output */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/x-ndjson': string;
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The apps the token may use, by name: state, serving release, newest deploy, processes, domains */
    get: {
      parameters: {
        query?: {
          limit?: number;
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                name: string;
                /** @enum {string} */
                state: 'undeployed' | 'stopped' | 'sleeping' | 'running' | 'partial' | 'down';
                release: number | null;
                deploy: {
                  id: string;
                  /** @description git, config, restart, rollback, rebuild, image … */
                  kind: string;
                  /** @enum {string} */
                  status: 'queued' | 'running' | 'succeeded' | 'failed';
                  release: number | null;
                  /** @description An ISO 8601 time, UTC */
                  started_at: string;
                  finished_at: string | null;
                } | null;
                processes: {
                  /** @description Containers wanted per process type */
                  formation: {
                    [key: string]: number;
                  };
                  total: number;
                  running: number;
                };
                domains: string[];
              }[];
              /** @description Give it as ?cursor= for the next page; null: this is the last */
              next_cursor: string | null;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    /** Create an app */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description An app name */
            name: string;
          };
        };
      };
      responses: {
        /** @description Done */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              /** @enum {string} */
              state: 'undeployed' | 'stopped' | 'sleeping' | 'running' | 'partial' | 'down';
              release: number | null;
              deploy: {
                id: string;
                /** @description git, config, restart, rollback, rebuild, image … */
                kind: string;
                /** @enum {string} */
                status: 'queued' | 'running' | 'succeeded' | 'failed';
                release: number | null;
                /** @description An ISO 8601 time, UTC */
                started_at: string;
                finished_at: string | null;
              } | null;
              processes: {
                /** @description Containers wanted per process type */
                formation: {
                  [key: string]: number;
                };
                total: number;
                running: number;
              };
              domains: string[];
              /** @description An ISO 8601 time, UTC */
              created_at: string;
              locked: boolean;
              current_release: {
                version: number;
                current: boolean;
                /** @enum {string} */
                status: 'pending' | 'succeeded' | 'failed';
                /** @enum {string} */
                kind: 'deploy' | 'config' | 'rollback';
                description: string;
                rev: string | null;
                image: string;
                config_keys: string[];
                created_by: string;
                /** @description An ISO 8601 time, UTC */
                created_at: string;
              } | null;
              urls: string[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One app: what the list shows, and when it was made, its lock, serving release and URLs */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              /** @enum {string} */
              state: 'undeployed' | 'stopped' | 'sleeping' | 'running' | 'partial' | 'down';
              release: number | null;
              deploy: {
                id: string;
                /** @description git, config, restart, rollback, rebuild, image … */
                kind: string;
                /** @enum {string} */
                status: 'queued' | 'running' | 'succeeded' | 'failed';
                release: number | null;
                /** @description An ISO 8601 time, UTC */
                started_at: string;
                finished_at: string | null;
              } | null;
              processes: {
                /** @description Containers wanted per process type */
                formation: {
                  [key: string]: number;
                };
                total: number;
                running: number;
              };
              domains: string[];
              /** @description An ISO 8601 time, UTC */
              created_at: string;
              locked: boolean;
              current_release: {
                version: number;
                current: boolean;
                /** @enum {string} */
                status: 'pending' | 'succeeded' | 'failed';
                /** @enum {string} */
                kind: 'deploy' | 'config' | 'rollback';
                description: string;
                rev: string | null;
                image: string;
                config_keys: string[];
                created_by: string;
                /** @description An ISO 8601 time, UTC */
                created_at: string;
              } | null;
              urls: string[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    /** Destroy an app, its containers, images and config */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done; nothing to answer */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/rename': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Rename an app */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description An app name */
            name: string;
          };
        };
      };
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              /** @enum {string} */
              state: 'undeployed' | 'stopped' | 'sleeping' | 'running' | 'partial' | 'down';
              release: number | null;
              deploy: {
                id: string;
                /** @description git, config, restart, rollback, rebuild, image … */
                kind: string;
                /** @enum {string} */
                status: 'queued' | 'running' | 'succeeded' | 'failed';
                release: number | null;
                /** @description An ISO 8601 time, UTC */
                started_at: string;
                finished_at: string | null;
              } | null;
              processes: {
                /** @description Containers wanted per process type */
                formation: {
                  [key: string]: number;
                };
                total: number;
                running: number;
              };
              domains: string[];
              /** @description An ISO 8601 time, UTC */
              created_at: string;
              locked: boolean;
              current_release: {
                version: number;
                current: boolean;
                /** @enum {string} */
                status: 'pending' | 'succeeded' | 'failed';
                /** @enum {string} */
                kind: 'deploy' | 'config' | 'rollback';
                description: string;
                rev: string | null;
                image: string;
                config_keys: string[];
                created_by: string;
                /** @description An ISO 8601 time, UTC */
                created_at: string;
              } | null;
              urls: string[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/deploys': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The app’s deploys, newest first */
    get: {
      parameters: {
        query?: {
          limit?: number;
          cursor?: string;
        };
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                id: string;
                app: string;
                /** @description git, config, restart, rollback, rebuild, image … */
                kind: string;
                /** @enum {string} */
                status: 'queued' | 'running' | 'succeeded' | 'failed';
                release: number | null;
                rev: string | null;
                error: string | null;
                requested_by: string;
                /** @description An ISO 8601 time, UTC */
                started_at: string;
                finished_at: string | null;
                /** @description Milliseconds from the daemon receiving it to each phase */
                timings_ms: {
                  [key: string]: number;
                };
              }[];
              /** @description Give it as ?cursor= for the next page; null: this is the last */
              next_cursor: string | null;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/deploys/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One deploy (by its id or a prefix of it) and its log so far */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              id: string;
              app: string;
              /** @description git, config, restart, rollback, rebuild, image … */
              kind: string;
              /** @enum {string} */
              status: 'queued' | 'running' | 'succeeded' | 'failed';
              release: number | null;
              rev: string | null;
              error: string | null;
              requested_by: string;
              /** @description An ISO 8601 time, UTC */
              started_at: string;
              finished_at: string | null;
              /** @description Milliseconds from the daemon receiving it to each phase */
              timings_ms: {
                [key: string]: number;
              };
              /** @description The log so far, line by line */
              log: string[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/releases': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The app’s releases, newest first; `current` marks the serving one */
    get: {
      parameters: {
        query?: {
          limit?: number;
          cursor?: string;
        };
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                version: number;
                current: boolean;
                /** @enum {string} */
                status: 'pending' | 'succeeded' | 'failed';
                /** @enum {string} */
                kind: 'deploy' | 'config' | 'rollback';
                description: string;
                rev: string | null;
                image: string;
                config_keys: string[];
                created_by: string;
                /** @description An ISO 8601 time, UTC */
                created_at: string;
              }[];
              /** @description Give it as ?cursor= for the next page; null: this is the last */
              next_cursor: string | null;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/releases/rollback': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Roll back to the previous release, or to `version`; answers the release now serving (a new one) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: {
        content: {
          'application/json': {
            version?: number;
          };
        };
      };
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              version: number;
              current: boolean;
              /** @enum {string} */
              status: 'pending' | 'succeeded' | 'failed';
              /** @enum {string} */
              kind: 'deploy' | 'config' | 'rollback';
              description: string;
              rev: string | null;
              image: string;
              config_keys: string[];
              created_by: string;
              /** @description An ISO 8601 time, UTC */
              created_at: string;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/config': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The app’s config vars; values masked unless reveal=true */
    get: {
      parameters: {
        query?: {
          reveal?: 'true' | 'false';
        };
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              masked: boolean;
              config: {
                [key: string]: string;
              };
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    /** Set and unset config vars as one release (restarts the app unless restart=false); answers the vars, masked */
    patch: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @default {} */
            set?: {
              [key: string]: string;
            };
            /** @default [] */
            unset?: string[];
            /** @default true */
            restart?: boolean;
          };
        };
      };
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              masked: boolean;
              config: {
                [key: string]: string;
              };
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    trace?: never;
  };
  '/apps/{app}/processes': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The app’s processes: formation (counts per type), and each container and its state */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @description Containers wanted per process type */
              formation: {
                [key: string]: number;
              };
              deployed: boolean;
              stopped: boolean;
              sleeping: boolean;
              /** @enum {string} */
              running: 'true' | 'false' | 'mixed';
              instances: {
                name: string;
                process: string;
                index: number;
                release: number;
                /** @enum {string} */
                state: 'running' | 'restarting' | 'stopped';
                id: string;
                node: string | null;
              }[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/processes/formation': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The formation: how many containers of each process type the app should run */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              [key: string]: number;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    /** Scale process types: {"web": 3, "worker": 1}; answers the whole formation */
    put: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            [key: string]: number;
          };
        };
      };
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              [key: string]: number;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/processes/usage': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** What each running container uses now: CPU (100 is one CPU) and memory */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              process: string;
              release: number;
              cpu_percent: number | null;
              memory_bytes: number | null;
              memory_limit_bytes: number | null;
            }[];
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/processes/restart': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** ps:restart the app; answers its processes after */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @description Containers wanted per process type */
              formation: {
                [key: string]: number;
              };
              deployed: boolean;
              stopped: boolean;
              sleeping: boolean;
              /** @enum {string} */
              running: 'true' | 'false' | 'mixed';
              instances: {
                name: string;
                process: string;
                index: number;
                release: number;
                /** @enum {string} */
                state: 'running' | 'restarting' | 'stopped';
                id: string;
                node: string | null;
              }[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/processes/stop': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** ps:stop the app; answers its processes after */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @description Containers wanted per process type */
              formation: {
                [key: string]: number;
              };
              deployed: boolean;
              stopped: boolean;
              sleeping: boolean;
              /** @enum {string} */
              running: 'true' | 'false' | 'mixed';
              instances: {
                name: string;
                process: string;
                index: number;
                release: number;
                /** @enum {string} */
                state: 'running' | 'restarting' | 'stopped';
                id: string;
                node: string | null;
              }[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/processes/start': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** ps:start the app; answers its processes after */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @description Containers wanted per process type */
              formation: {
                [key: string]: number;
              };
              deployed: boolean;
              stopped: boolean;
              sleeping: boolean;
              /** @enum {string} */
              running: 'true' | 'false' | 'mixed';
              instances: {
                name: string;
                process: string;
                index: number;
                release: number;
                /** @enum {string} */
                state: 'running' | 'restarting' | 'stopped';
                id: string;
                node: string | null;
              }[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/processes/rebuild': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** ps:rebuild the app; answers its processes after */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @description Containers wanted per process type */
              formation: {
                [key: string]: number;
              };
              deployed: boolean;
              stopped: boolean;
              sleeping: boolean;
              /** @enum {string} */
              running: 'true' | 'false' | 'mixed';
              instances: {
                name: string;
                process: string;
                index: number;
                release: number;
                /** @enum {string} */
                state: 'running' | 'restarting' | 'stopped';
                id: string;
                node: string | null;
              }[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/domains': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The app’s domains, the global ones, and the URLs it answers on */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              domains: string[];
              global: string[];
              urls: string[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    /** Add a domain; answers the app’s domains */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            domain: string;
          };
        };
      };
      responses: {
        /** @description Done */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              domains: string[];
              global: string[];
              urls: string[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/domains/{domain}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Remove a domain; answers the app’s domains */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
          domain: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              domains: string[];
              global: string[];
              urls: string[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/checks': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The app’s check settings: which process types disable or skip checks, and wait-to-retire */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @description Process types deployed without checks, old containers stopped first (`_all_`: all) */
              disabled: string[];
              /** @description Process types swapped to without checks (`_all_`: all) */
              skipped: string[];
              /** @enum {string} */
              web: 'enabled' | 'disabled' | 'skipped';
              /** @description How long old containers keep serving after a swap */
              wait_to_retire_seconds: number;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/checks/run': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Run the current release’s checks against the running containers; a failed check is `ok: false`, not an error */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @description Every container passed its checks */
              ok: boolean;
              instances: {
                name: string;
                ok: boolean;
                reason: string | null;
              }[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/certs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The app’s TLS certificate, if it has one */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @description The app is served over HTTPS */
              enabled: boolean;
              certificate: {
                hostnames: string[];
                subject: string;
                issuer: string;
                /** @description An ISO 8601 time, UTC */
                starts_at: string;
                /** @description An ISO 8601 time, UTC */
                expires_at: string;
                self_signed: boolean;
              } | null;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    /** Install a certificate and key (PEM); answers the certificate */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            certificate: string;
            key: string;
          };
        };
      };
      responses: {
        /** @description Done */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @description The app is served over HTTPS */
              enabled: boolean;
              certificate: {
                hostnames: string[];
                subject: string;
                issuer: string;
                /** @description An ISO 8601 time, UTC */
                starts_at: string;
                /** @description An ISO 8601 time, UTC */
                expires_at: string;
                self_signed: boolean;
              } | null;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    /** Remove the app’s certificate */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done; nothing to answer */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/services': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Every database service, by type and name (admins) */
    get: {
      parameters: {
        query?: {
          limit?: number;
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                name: string;
                status: string;
                links: string[];
                type: string;
              }[];
              /** @description Give it as ?cursor= for the next page; null: this is the last */
              next_cursor: string | null;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/services/{type}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Create a service */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          type: 'postgres' | 'redis' | 'mariadb';
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            name: string;
          };
        };
      };
      responses: {
        /** @description Done */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              status: string;
              links: string[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/services/{type}/{name}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A service: its status and linked apps (admins) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          type: 'postgres' | 'redis' | 'mariadb';
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              status: string;
              links: string[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    /** Destroy a service and its data */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          type: 'postgres' | 'redis' | 'mariadb';
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done; nothing to answer */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/services/{type}/{name}/links': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Link a service to an app (restarts it with the URL); answers the service */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          type: 'postgres' | 'redis' | 'mariadb';
          name: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description An app name */
            app: string;
          };
        };
      };
      responses: {
        /** @description Done */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              status: string;
              links: string[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/services/{type}/{name}/links/{app}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Unlink a service from an app; answers the service */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          type: 'postgres' | 'redis' | 'mariadb';
          name: string;
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              status: string;
              links: string[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/services/{type}/{name}/backups': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The service’s backups, newest first (admins) */
    get: {
      parameters: {
        query?: {
          limit?: number;
          cursor?: string;
        };
        header?: never;
        path: {
          type: 'postgres' | 'redis' | 'mariadb';
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                id: string;
                /** @enum {string} */
                where: 'local' | 's3';
                dir: string;
                file: string;
                bytes: number;
                /** @description An ISO 8601 time, UTC */
                created_at: string;
                sha256: string | null;
                /** @enum {string} */
                status: 'ok' | 'failed';
                error: string | null;
              }[];
              /** @description Give it as ?cursor= for the next page; null: this is the last */
              next_cursor: string | null;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    /** Take a backup now, into the backup directory named after the service (keeps 7); answers it (admins) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          type: 'postgres' | 'redis' | 'mariadb';
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              id: string;
              /** @enum {string} */
              where: 'local' | 's3';
              dir: string;
              file: string;
              bytes: number;
              /** @description An ISO 8601 time, UTC */
              created_at: string;
              sha256: string | null;
              /** @enum {string} */
              status: 'ok' | 'failed';
              error: string | null;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/services/{type}/{name}/backups/{dir}/{file}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Download one backup (admins) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          type: 'postgres' | 'redis' | 'mariadb';
          name: string;
          dir: string;
          file: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/octet-stream': string;
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/keys': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The SSH keys (admins) */
    get: {
      parameters: {
        query?: {
          limit?: number;
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                name: string;
                fingerprint: string;
                admin: boolean;
              }[];
              /** @description Give it as ?cursor= for the next page; null: this is the last */
              next_cursor: string | null;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    /** Add an SSH key (admins) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            name: string;
            key: string;
            /** @default false */
            admin?: boolean;
          };
        };
      };
      responses: {
        /** @description Done */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              fingerprint: string;
              admin: boolean;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/keys/{name}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Remove an SSH key and its tokens (admins) */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done; nothing to answer */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/grants': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The non-admin keys granted the app (admins) */
    get: {
      parameters: {
        query?: {
          limit?: number;
          cursor?: string;
        };
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                key: string;
              }[];
              /** @description Give it as ?cursor= for the next page; null: this is the last */
              next_cursor: string | null;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    /** Grant a key the app; answers the grant (admins) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            key: string;
          };
        };
      };
      responses: {
        /** @description Done */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              key: string;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/grants/{key}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Take the app away from a key (admins) */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          app: string;
          key: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done; nothing to answer */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/nodes': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The swarm’s nodes (admins; 409 until scheduler-swarm:init) */
    get: {
      parameters: {
        query?: {
          limit?: number;
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                id: string;
                hostname: string;
                address: string;
                /** @enum {string} */
                role: 'manager' | 'worker';
                leader: boolean;
                state: string;
                availability: string;
                labels: {
                  [key: string]: string;
                };
                engine_version: string;
                tasks: {
                  app: string;
                  process: string;
                  index: number;
                  release: number;
                  state: string;
                }[];
              }[];
              /** @description Give it as ?cursor= for the next page; null: this is the last */
              next_cursor: string | null;
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/apps/{app}/metrics': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The app’s last day minute by minute, as the daemon samples it: requests by status class, latency p50/p95, CPU and memory (kept in memory: a daemon restart starts again) */
    get: {
      parameters: {
        query?: {
          since?: string;
        };
        header?: never;
        path: {
          app: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Done */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              app: string;
              interval_seconds: number;
              kept_points: number;
              points: {
                /** @description The minute’s start (ISO 8601, UTC) */
                at: string;
                requests: number;
                status: {
                  '1xx': number;
                  '2xx': number;
                  '3xx': number;
                  '4xx': number;
                  '5xx': number;
                };
                p50_ms: number | null;
                p95_ms: number | null;
                /** @description All the app’s containers together, 100 being one CPU */
                cpu_percent: number | null;
                memory_bytes: number | null;
              }[];
            };
          };
        };
        400: components['responses']['Error400'];
        401: components['responses']['Error401'];
        403: components['responses']['Error403'];
        404: components['responses']['Error404'];
        409: components['responses']['Error409'];
        429: components['responses']['Error429'];
        500: components['responses']['Error500'];
        503: components['responses']['Error503'];
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    Error: {
      error: string;
    };
  };
  responses: {
    /** @description Bad input; nothing changed */
    Error400: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description No valid token */
    Error401: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description The token may not do this (an admin’s token is needed) */
    Error403: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description No such app (or not one the token may use), or no such thing in it */
    Error404: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description The current state refuses it: a name taken, a lock held, swarm mode not set up */
    Error409: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description Too many requests, or failed token checks, from this address */
    Error429: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description Internal error (the details are in the daemon’s log) */
    Error500: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
    /** @description Something Slipway needs (the engine, the job queue) cannot be reached now; try again */
    Error503: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
  };
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
