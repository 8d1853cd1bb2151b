/**
 * AWS throttling. moto 5.2.5 has no way to make a call fail (its moto-api offers
 * no fault injection), so a stand-in before it answers what AWS answers a client over its rate:
 * the JSON protocol's throttling error, HTTP 400 with `__type` ThrottlingException (the code both
 * botocore's and the JS SDK's retry logic treat as throttling). It answers every read that reaches
 * it (or those beyond a rate), the other calls pass through to moto, until it is released.
 */
import type { ActiveThrottle, CannedAnswer, ObservedRequest, ServerThrottling } from '../../suites/target';

const THROTTLING_ANSWER: CannedAnswer = {
  status: 400,
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ThrottlingException', 'x-amzn-requestid': 'asc-throttled' },
  body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }),
};

export function awsThrottling(isRead: (request: ObservedRequest) => boolean): ServerThrottling {
  return {
    method:
      'a stand-in before moto (which cannot inject errors) answering every read HTTP 400 {"__type":"ThrottlingException","message":"Rate exceeded"}, ' +
      "AWS's JSON-protocol throttling response; other calls reach moto",
    status: THROTTLING_ANSWER.status,
    async throttleVariable(): Promise<ActiveThrottle> {
      let active = true;
      return {
        answer: (request) => (active && isRead(request) ? THROTTLING_ANSWER : null),
        release: async () => {
          active = false;
        },
      };
    },
    async limitVariableRate(_environment, _key, perSecond): Promise<ActiveThrottle> {
      let active = true;
      // A fixed one-second window on the proxy's clock: the first `perSecond` reads of each pass.
      let window = -1;
      let passed = 0;
      return {
        answer: (request) => {
          if (!active || !isRead(request)) return null;
          const current = Math.floor(request.at / 1000);
          if (current !== window) {
            window = current;
            passed = 0;
          }
          passed += 1;
          return passed > perSecond ? THROTTLING_ANSWER : null;
        },
        release: async () => {
          active = false;
        },
      };
    },
  };
}
