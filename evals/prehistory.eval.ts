import { defineSubject } from '../src/suite.js'

defineSubject('prehistory')
