import { CHANNEL_CLASSES, type ChannelClassPolicy } from '@recio/contract';

export type { ChannelClassPolicy };

/** The router's classes unless told otherwise: the platform's (the contract's CHANNEL_CLASSES). */
export const DEFAULT_CHANNEL_CLASSES: Readonly<Record<string, ChannelClassPolicy>> = CHANNEL_CLASSES;
