import { useContext, useState } from 'preact/hooks';
import type { Account } from '../api';
import { CallStatus } from '../components/CallStatus';
import { Field } from '../components/Field';
import { PageHeading, StepHeading } from '../components/PageHeading';
import { type NewPassword, PasswordFields, newPasswordProblem } from '../components/PasswordFields';
import { paths } from '../router';
import { SessionContext } from '../session';
import { useCall } from '../useCall';
import { vault } from '../vault';

export function SignUp() {
  const session = useContext(SessionContext);
  const call = useCall();
  const [step, setStep] = useState<'email' | 'code' | 'done'>('email');
  const [email, setEmail] = useState(session.email);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState<NewPassword>({ password: '', repeat: '' });
  const [account, setAccount] = useState<Account | null>(null);

  const sendCode = async (event: Event) => {
    event.preventDefault();
    if (email.trim() === '') return call.fail('Enter your email.');
    session.setEmail(email.trim());
    const result = await call.run(() => vault.signupStart(email.trim()));
    if (result.ok) setStep('code');
  };

  const create = async (event: Event) => {
    event.preventDefault();
    if (code.trim() === '') return call.fail('Enter the verification code from the email.');
    const problem = newPasswordProblem(password);
    if (problem) return call.fail(problem);
    const result = await call.run(() => vault.signupFinish(email.trim(), code.trim(), password.password));
    if (result.ok) {
      setPassword({ password: '', repeat: '' });
      setAccount(result.value);
      setStep('done');
    }
  };

  return (
    <>
      <PageHeading title="Create an account">Create an account</PageHeading>
      {step === 'email' && (
        <form onSubmit={sendCode} noValidate>
          <p>A verification code is sent to your email first.</p>
          <Field label="Email" type="email" autoComplete="email" value={email} onInput={setEmail} />
          <button type="submit" class="primary" disabled={call.busy}>
            Send the verification code
          </button>
          <CallStatus call={call} />
        </form>
      )}
      {step === 'code' && (
        <form onSubmit={create} noValidate>
          <StepHeading>Verification code</StepHeading>
          <p>
            A verification code was sent to <strong>{email}</strong>. It is valid for 10 minutes.
          </p>
          <Field
            label="Verification code"
            inputMode="numeric"
            autoComplete="one-time-code"
            value={code}
            onInput={setCode}
          />
          <PasswordFields label="Password" value={password} onInput={setPassword} />
          <button type="submit" class="primary" disabled={call.busy}>
            Create the account
          </button>
          <CallStatus call={call} />
        </form>
      )}
      {step === 'done' && account && (
        <section>
          <StepHeading>Account created</StepHeading>
          <p>
            The account <strong>{account.email}</strong> was created. Your key fingerprint:
          </p>
          <p class="fingerprint">{account.fingerprint}</p>
          <p>People who add you to a workspace compare this fingerprint with you.</p>
          <p>
            <a class="button primary" href={paths.signin}>
              Sign in
            </a>
          </p>
        </section>
      )}
    </>
  );
}
