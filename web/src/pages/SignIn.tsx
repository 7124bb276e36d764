import { useContext, useState } from 'preact/hooks';
import { CallStatus } from '../components/CallStatus';
import { Field } from '../components/Field';
import { PageHeading } from '../components/PageHeading';
import { paths } from '../router';
import { SessionContext } from '../session';
import { useCall } from '../useCall';
import { vault } from '../vault';

export function SignIn() {
  const session = useContext(SessionContext);
  const call = useCall();
  const [email, setEmail] = useState(session.email);
  const [password, setPassword] = useState('');

  const submit = async (event: Event) => {
    event.preventDefault();
    if (email.trim() === '' || password === '') {
      call.fail('Enter your email and your password.');
      return;
    }
    session.setEmail(email.trim());
    const result = await call.run(() => vault.login(email.trim(), password));
    if (result.ok) {
      setPassword('');
      session.signedIn(result.value);
    }
  };

  return (
    <>
      <PageHeading title="Sign in">Sign in</PageHeading>
      {session.notice && (
        <p class="notice" role="status">
          {session.notice}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <Field label="Email" type="email" autoComplete="username" value={email} onInput={setEmail} />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onInput={setPassword}
        />
        <button type="submit" class="primary" disabled={call.busy}>
          Sign in
        </button>
        <CallStatus call={call} />
      </form>
      <p>
        <a href={paths.forgot}>Forgot password?</a> · <a href={paths.signup}>Create an account</a>
      </p>
    </>
  );
}
