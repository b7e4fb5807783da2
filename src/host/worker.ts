/// <reference lib="webworker" />
import { expose, transfer } from 'comlink';
import { installErrorWire } from '../connections/comlinkErrors';
import { reportUnhandled } from './reportUnhandled';
import type { HostEvent } from '../connections/hostEvents';
import { Host } from './Host';
import { HostChannel } from './HostChannel';

installErrorWire();
const channel = new HostChannel(self);
const post = (event: HostEvent): void => channel.postRaw(event);
reportUnhandled(self, post);
expose(new Host(transfer, post, channel), channel);
