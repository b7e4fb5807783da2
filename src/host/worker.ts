/// <reference lib="webworker" />
import { expose, transfer } from 'comlink';
import { installErrorWire } from '../connections/comlinkErrors';
import { reportUnhandled } from './reportUnhandled';
import { Host } from './Host';

installErrorWire();
reportUnhandled(self, (message) => self.postMessage(message));
expose(new Host(transfer));
