import { useContext, useState } from 'preact/hooks';
import { CallStatus } from '../components/CallStatus';
import { CheckBox, Field } from '../components/Field';
import { PageHeading, StepHeading } from '../components/PageHeading';
import { type NewPassword, PasswordFields, newPasswordProblem } from '../components/PasswordFields';
import { paths } from '../router';
import { SessionContext } from '../session';
import { useCall } from '../useCall';
import { vault } from '../vault';

type Step = 'email' | 'code' | 'retrieve' | 'risks' | 'password' | 'done';

/** Forgot password: access code, the two acknowledgements, a new encryption key. */
export function Forgot() {
  const session = useContext(SessionContext);
  const call = useCall();
  const [step, setStep] = useState<Step>('email');
  const [email, setEmail] = useState(session.email);
  const [code, setCode] = useState('');
  const [understood, setUnderstood] = useState(false);
  const [accepted, setAccepted] = useState(false);
  const [password, setPassword] = useState<NewPassword>({ password: '', repeat: '' });
  const [fingerprint, setFingerprint] = useState('');

  const sendCode = async (event: Event) => {
    event.preventDefault();
    if (email.trim() === '') return call.fail('Enter your email.');
    session.setEmail(email.trim());
    const result = await call.run(() => vault.forgotStart(email.trim()));
    if (result.ok) setStep('code');
  };

  const next = (event: Event) => {
    event.preventDefault();
    if (code.trim() === '') return call.fail('Enter the access code from the email.');
    call.clearError();
    setStep('retrieve');
  };

  const update = async (event: Event) => {
    event.preventDefault();
    const problem = newPasswordProblem(password);
    if (problem) return call.fail(problem);
    const result = await call.run(() => vault.forgotFinish(email.trim(), code.trim(), password.password));
    if (result.ok) {
      setPassword({ password: '', repeat: '' });
      setFingerprint(result.value.fingerprint);
      setStep('done');
    }
  };

  return (
    <>
      <PageHeading title="Forgot password">Forgot password</PageHeading>
      {step === 'email' && (
        <form onSubmit={sendCode} noValidate>
          <p>An access code is sent to your email.</p>
          <Field label="Email" type="email" autoComplete="username" value={email} onInput={setEmail} />
          <button type="submit" class="primary" disabled={call.busy}>
            Send the access code
          </button>
          <CallStatus call={call} />
        </form>
      )}
      {step === 'code' && (
        <form onSubmit={next} noValidate>
          <StepHeading>Access code</StepHeading>
          <p>
            If <strong>{email}</strong> has an account, an access code was sent to it. It is valid for
            10 minutes.
          </p>
          <Field label="Access code" inputMode="numeric" autoComplete="one-time-code" value={code} onInput={setCode} />
          <button type="submit" class="primary">
            Next
          </button>
          <CallStatus call={call} />
        </form>
      )}
      {step === 'retrieve' && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            setStep('risks');
          }}
        >
          <StepHeading>Retrieve recovery key</StepHeading>
          <p>
            The recovery key contains a key that is required when the password is lost or reset. A
            reset generates a new encryption key for your account, and your workspaces cannot be
            reopened without their recovery key (the emergency reset code): it is the only means to
            recover access.
          </p>
          <p class="warning">Make sure to have the recovery key at hand before continuing.</p>
          <CheckBox
            label="I understand that without my recovery key, I will no longer be able to access the workspace"
            checked={understood}
            onChange={setUnderstood}
          />
          <button type="submit" class="primary" disabled={!understood}>
            Generate a new encryption key
          </button>
        </form>
      )}
      {step === 'risks' && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            setStep('password');
          }}
        >
          <StepHeading>Generate a new encryption key</StepHeading>
          <div class="warning">
            <p>A new encryption key replaces your account's keys. Then:</p>
            <ul>
              <li>every workspace you own asks for its emergency reset code (the recovery key);</li>
              <li>in workspaces you do not own, an owner must relink you;</li>
              <li>every session of your account is signed out.</li>
            </ul>
          </div>
          <CheckBox label="I understand and accept the risks" checked={accepted} onChange={setAccepted} />
          <button type="submit" class="primary" disabled={!accepted}>
            Next
          </button>
        </form>
      )}
      {step === 'password' && (
        <form onSubmit={update} noValidate>
          <StepHeading>New password</StepHeading>
          <PasswordFields value={password} onInput={setPassword} />
          <button type="submit" class="primary" disabled={call.busy}>
            Update my password
          </button>
          <CallStatus call={call} />
          {call.error && !call.busy && call.error.kind !== 'input' && (
            <p>
              <button type="button" onClick={() => setStep('code')}>
                Enter the access code again
              </button>
            </p>
          )}
        </form>
      )}
      {step === 'done' && (
        <section>
          <StepHeading>Your password was updated</StepHeading>
          <p>A new encryption key was generated for {email}. Your new key fingerprint:</p>
          <p class="fingerprint">{fingerprint}</p>
          <p>
            Every session was signed out. Sign in with your new password; each workspace you own then
            opens the emergency reset code page.
          </p>
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
