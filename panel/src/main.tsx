import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { CrashNote } from './ui/crash';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <CrashNote>
      <App />
    </CrashNote>
  </StrictMode>,
);
