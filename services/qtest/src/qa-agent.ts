// The QA agent's one kind of call: a prompt in, one file out, through the router. The answer is
// untrusted input: a cut-off or malformed answer is an AnswerError, which callers record as the
// reason a proposal was rejected.
import type { Completion, LlmPort } from './clients/router.js';
import {
  AnswerError,
  parseFileAnswer,
  type ChatPrompt,
  type ProposedFile,
} from './domain/qa-agent.js';

export interface QaCall {
  model: string;
  tenantId: string;
  generationId?: string;
  /** Attribution in usage reports, e.g. "qtest/qa-generate". */
  caller: string;
  signal?: AbortSignal;
}

export async function askForFile(
  llm: LlmPort,
  prompt: ChatPrompt,
  call: QaCall,
  onUsage?: (answer: Completion) => void,
): Promise<ProposedFile> {
  const answer = await llm.complete({
    model: call.model,
    messages: [
      { role: 'system', text: prompt.system },
      { role: 'user', text: prompt.user },
    ],
    tenantId: call.tenantId,
    ...(call.generationId ? { generationId: call.generationId } : {}),
    caller: call.caller,
    json: true,
    ...(call.signal ? { signal: call.signal } : {}),
  });
  onUsage?.(answer);
  if (answer.truncated) throw new AnswerError('the answer was cut off (length limit)');
  return parseFileAnswer(answer.text);
}
